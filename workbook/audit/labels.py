"""What a deal spreadsheet's labels say: the words that mark depreciation, rents, coverage
ratios, loss constants, time axes, and the deal inputs the model needs.

Labels are compared after :func:`normalise` (lower case, accents removed, punctuation as
spaces, ``$``, ``%``, ``&`` and ``/`` kept). English is the reference; a few German, French,
Spanish, Italian and Dutch words are listed where they are common, but a label in another
language may simply not be recognised: detection then rests on formulas and number patterns.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise", "matches", "KIND_PATTERNS", "FIELD_PATTERNS", "TIME_WORDS",
           "QUARTER_WORDS", "MONTH_WORDS", "HALF_WORDS", "MONTHS", "field_for_label"]


def normalise(text: object) -> str:
    """Lower case without accents; anything but letters, digits and ``$%&/.#`` as a space."""
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = re.sub(r"[^a-z0-9$%&/.#]+", " ", s)
    return " ".join(s.split())[:200]


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives))


#: Label kinds of rows, columns and single cells.
KIND_PATTERNS: dict[str, re.Pattern[str]] = {
    "covenant": _rx(r"covenant", r"lock ?up", r"\btrigger", r"\bthreshold", r"\bhurdle",
                    r"\bminimum (dscr|llcr|cover)", r"\bmin (dscr|llcr)", r"\bmax(imum)? ltv",
                    r"\b(dscr|ltv|llcr) (target|limit|min|max)"),
    "accumulated": _rx(r"accum\w* dep", r"cumulative dep", r"kumulierte abschreib"),
    "depreciation": _rx(r"\bdeprec", r"\bd ?& ?a\b", r"\bamorti[sz]ation of (equipment|asset|"
                        r"gpu|hardware|server)", r"straight ?line", r"\babschreib", r"\bafa\b",
                        r"\bamortissement", r"\bdepreciaci", r"\bammortament",
                        r"\bafschrijving"),
    "book_value": _rx(r"\bbook value", r"\bnet book", r"\bnbv\b", r"\bcarrying (value|amount)",
                      r"written ?down", r"\bwdv\b", r"\bresidual value", r"\basset value",
                      r"\bcollateral value", r"\b(gpu|equipment|fleet|hardware|server|asset)s? "
                      r"(book )?value", r"\bbuchwert", r"\brestbuchwert",
                      r"valeur (nette )?comptable", r"valor (en )?libros", r"valor contable",
                      r"valore contabile", r"\bboekwaarde"),
    "rent_growth": _rx(r"\b(rent|rental|price|tariff|rate|pricing|revenue|sales)s? (growth|"
                       r"escalat|increase|decline|deflation|change|index|decay|step)",
                       r"\b(rent|price) g\b", r"\bdeflation", r"\bescalat", r"\bindexation",
                       r"\bgrowth (rate|%)", r"% (growth|change)\b"),
    "purchase": _rx(r"\bpurchase", r"\bcapex\b", r"\bacquisition", r"\bcost\b",
                    r"\bprice per gpu\b(?! ?h)", r"\bunit price", r"\bresale", r"\bsale price"),
    "rent": _rx(r"\brent", r"\brental", r"\bprice per (gpu|hour|h\b)", r"per gpu ?h",
                r"\$ ?/ ?(gpu ?)?h(ou)?r", r"/ ?gpu ?hr?\b", r"\bhourly (rate|price)",
                r"\blease rate", r"\btariff", r"\bgpu ?hour (price|rate)", r"\bprice\b",
                r"\bpricing", r"\bmiete", r"\bmietpreis", r"\bloyer", r"\balquiler",
                r"\bprecio", r"\bprix\b", r"\bpreis", r"\bcanone", r"\bhuur"),
    "revenue": _rx(r"\brevenue", r"\bsales\b", r"\bturnover", r"\btop ?line", r"\bumsatz",
                   r"\berlos", r"\bchiffre d affaires", r"\bingresos", r"\bricavi",
                   r"\bomzet"),
    "utilisation": _rx(r"\butili[sz]", r"\butil\b", r"\boccupanc", r"\bload factor", r"\bauslastung",
                       r"taux d occupation", r"\bocupacion", r"\bbezetting", r"\butilizzo"),
    "dscr": _rx(r"\bdscr\b", r"debt service cover", r"\bdebt cover", r"\bds ?cr\b",
                r"schuldendienstdeckung", r"\bcouverture du service", r"cobertura del servicio"),
    "llcr": _rx(r"\bllcr\b", r"loan life cover"),
    "plcr": _rx(r"\bplcr\b", r"project life cover"),
    "icr": _rx(r"\bicr\b", r"interest cover"),
    "ltv": _rx(r"\bltv\b", r"loan ?to ?value", r"\bbeleihungs", r"\bloan / value",
               r"\bdebt / (value|collateral)", r"pret ?valeur"),
    "recovery": _rx(r"\brecover", r"\bwiedergewinnung", r"\bverwertungsquote",
                    r"\brecouvrement", r"\brecuperaci", r"\bcure rate"),
    "lgd": _rx(r"\blgd\b", r"loss given default", r"\bloss severity", r"\bseverity"),
    "haircut": _rx(r"hair ?cut", r"fire ?sale", r"liquidation (discount|value)",
                   r"\bforced sale", r"\babschlag", r"\bdecote", r"\bdescuento de liquid"),
    "pd": _rx(r"\bpd\b", r"probability of default", r"default probab", r"\bdefault rate",
              r"ausfallwahrscheinlichkeit", r"probabilite de defaut"),
    "debt_service": _rx(r"debt service", r"\bds\b", r"\bschuldendienst",
                        r"service de la dette", r"servicio de la deuda", r"\bpmt\b"),
    "interest": _rx(r"\binterest\b(?! rate)", r"\bzins(en)?\b(?!satz)", r"\binterets\b"),
    "principal": _rx(r"\bprincipal", r"\brepayment", r"\bamorti[sz]ation\b(?! of)",
                     r"\btilgung", r"\bremboursement"),
    "cfads": _rx(r"\bcfads\b", r"cash flow available", r"cash available for debt",
                 r"\bebitda\b", r"\bnet operating income", r"\bnoi\b"),
    "balance": _rx(r"\bbalance", r"\boutstanding", r"\bdebt\b", r"\bloan\b", r"\bsaldo",
                   r"\brestschuld", r"\bencours", r"\bdeuda", r"\bclosing\b", r"\bopening\b"),
    "opex": _rx(r"\bopex\b", r"operating (cost|expense)", r"\bcash cost", r"\bpower\b",
                r"\belectric", r"\bcolocation", r"\bo ?& ?m\b", r"\bcosts?\b"),
}

#: Words that head a time axis (the first word of the label).
TIME_WORDS = re.compile(r"^(?:year|years|yr|fy|cy|period|periods|quarter|quarters|qtr|month|"
                        r"months|date|dates|time|t|age|half|semester|jahr|jahre|periode|"
                        r"quartal|monat|datum|annee|an|trimestre|mois|ano|anos|periodo|mes|"
                        r"anno|trimestre|jaar|kwartaal|maand)\b")
QUARTER_WORDS = re.compile(r"\b(?:quarter|quarters|qtr|quartal|trimestre|kwartaal)\b")
MONTH_WORDS = re.compile(r"\b(?:month|months|monat|mois|mes|maand)\b")
HALF_WORDS = re.compile(r"\b(?:half|semester|semestre|halbjahr)\b")
MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
MONTHS.update({"sept": 9, "mrz": 3, "mai": 5, "okt": 10, "dez": 12, "janv": 1, "fevr": 2,
               "avr": 4, "juin": 6, "juil": 7, "aout": 8, "ene": 1, "abr": 4, "ago": 8,
               "dic": 12})


def matches(kind: str, label: str) -> bool:
    """Whether a normalised label is of ``kind`` (a key of :data:`KIND_PATTERNS`)."""
    return bool(label) and bool(KIND_PATTERNS[kind].search(label))


#: Deal and loss fields of the parameter schema, and the labels that name them (the first
#: field whose pattern matches a label wins, so the specific ones come first).
FIELD_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("target", _rx(r"(dscr|debt service cover|coverage).*(covenant|minimum|min\b|lock ?up|"
                   r"target|trigger)", r"(covenant|minimum|min\b|lock ?up|target).*(dscr|"
                   r"cover)")),
    ("contracted_share", _rx(r"contracted (share|capacity|portion|%)", r"share (contracted|"
                             r"under contract)", r"take ?or ?pay (share|%)", r"% contracted")),
    ("contract_rate", _rx(r"contract(ed)? (rate|price|rent)")),
    ("contract_years", _rx(r"contract(ed)? (term|years|tenor|length|duration)")),
    ("deflation", _rx(r"\b(rent|rental|price|tariff|pricing)s? (growth|escalat|increase|"
                      r"decline|deflation|change|decay)", r"\bdeflation", r"\bprice erosion")),
    ("cash_cost", _rx(r"\bopex\b", r"operating cost", r"\bcash cost", r"cost per (gpu ?)?h",
                      r"\b(power|electricity|energy) cost", r"\bo ?& ?m\b",
                      r"running cost", r"\bcolocation", r"\b(power|electricity|energy|"
                      r"hosting|colo)\b.*(\$|per|/) ?(gpu ?)?h(ou)?r", r"\bhosting cost")),
    ("rent0", KIND_PATTERNS["rent"]),
    ("utilization", KIND_PATTERNS["utilisation"]),
    ("salvage", _rx(r"\bsalvage", r"\bresidual (value|%)", r"\bscrap", r"end ?of ?life value",
                    r"\brestwert", r"valeur residuelle", r"valor residual")),
    ("physical_life_years", _rx(r"physical life", r"technical life")),
    ("book_life_years", _rx(r"useful life", r"depreciation (life|period|years|term)",
                            r"\blife\b", r"\bnutzungsdauer", r"duree (de vie|d utilisation)",
                            r"vida util", r"\blifetime")),
    ("age_years", _rx(r"\bage\b", r"\bgpu age", r"years in service")),
    ("gpus", _rx(r"\b(number|no\.?|nr\.?|#) (of )?gpus?\b",
                 r"^(total )?gpus?\b(?!.*\b(cost|price|value|rent|rental|capex|acquisition|"
                 r"purchase|hour|hr|h|life|age|rate)\b)",
                 r"\bgpu (count|units|quantity)", r"\bfleet size", r"\bunits\b", r"^# ?gpus",
                 r"\banzahl gpu", r"\bnombre de gpu", r"\bnumero de gpu")),
    ("gpu_cost", _rx(r"(cost|price|capex|purchase)\w* (per|/) ?(gpu|unit)", r"gpu (unit )?"
                     r"(cost|price|capex)", r"\bunit (cost|price)", r"purchase (price|cost)",
                     r"\bcapex\b", r"acquisition (cost|price)", r"\banschaffungs",
                     r"cout d acquisition")),
    ("balloon_share", _rx(r"\bballoon")),
    ("debt_rate", _rx(r"interest rate", r"\bcoupon\b", r"all ?in (rate|cost)", r"cost of debt",
                      r"\brate of interest", r"\bzinssatz", r"taux d interet",
                      r"tasa de interes")),
    ("debt_years", _rx(r"\btenor", r"\bloan term", r"\bterm\b(?! loan)", r"\bmaturity", r"loan life",
                       r"\blaufzeit", r"\bduree du pret", r"\bplazo")),
    ("debt", _rx(r"^(senior |total )?debt\b(?! service)", r"\bloan amount", r"facility "
                 r"(amount|size)", r"^(senior |term |total )?(secured )?(loan |credit )?"
                 r"facility\b(?! (fee|rate|margin))", r"^(senior |secured )?term loan\b"
                 r"(?! (rate|margin|tenor|term|years))", r"^(loan|principal)\b(?! (repay|amort))", r"\bborrowing",
                 r"\bnotional", r"\bdebt amount", r"\bcommitment", r"\bdarlehen",
                 r"\bmontant du pret")),
    ("tax_rate", _rx(r"\btax rate", r"^tax\b", r"\bsteuersatz", r"taux d imposition")),
    ("discount_rate", _rx(r"discount rate", r"\bwacc\b", r"\bcost of capital",
                          r"\bhurdle rate")),
    ("pd", KIND_PATTERNS["pd"]),
    ("ead", _rx(r"\bead\b", r"exposure at default")),
    ("gpu_haircut", KIND_PATTERNS["haircut"]),
    ("lgd", _rx(r"\blgd\b", r"loss given default", r"\bloss severity", r"\brecover")),
    ("collateral_vol", _rx(r"\bvolatil")),
    ("rho_collateral", _rx(r"collateral (corr|rho)", r"\bcorrelation")),
    ("horizon_years", _rx(r"workout", r"time to (sale|recovery)", r"recovery (lag|period)")),
]


def field_for_label(label: str) -> str | None:
    """The schema field a normalised label names, or None."""
    if not label:
        return None
    for name, rx in FIELD_PATTERNS:
        if rx.search(label):
            if name == "rent0" and KIND_PATTERNS["purchase"].search(label):
                continue    # "Price per GPU" is what a GPU costs, not its hourly rent
            return name
    return None
