"""Words the planner knows before it has seen a warehouse: plain data and tiny helpers.

- :func:`normalize` folds one word to a canonical form (lower case, no punctuation,
  singular, American spelling), so ``Categories`` / ``category`` and ``cancelled`` /
  ``canceled`` compare equal.
- :func:`split_identifier` splits ``snake_case`` and ``camelCase`` names into words.
- :data:`SYNONYMS` maps a business word or phrase to the catalog-ish words it can stand
  for (``clients`` → ``customer``, ``revenue`` → ``amount``, ``hired`` → ``hire_date``).
  The targets are candidates, not facts: schema linking keeps those the catalog has.
- :data:`STOPWORDS` carry no meaning for a query (safe to ignore); :data:`OPERATOR_WORDS`
  carry meaning but name nothing in a schema; neither names a table, column or value alone.
- :data:`GENERIC_WORDS` name a column only within a known table (``id``, ``name``, ``date``).
- :data:`AGGREGATE_WORDS`, :data:`NUMBER_WORDS` and :func:`parse_number` help read amounts.

Everything here is general (retail, HR, finance, web analytics), never tied to one schema.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "AGGREGATE_WORDS",
    "GENERIC_WORDS",
    "MEASURE_WORDS",
    "NON_SCHEMA_WORDS",
    "NUMBER_PATTERN",
    "NUMBER_WORDS",
    "OPERATOR_WORDS",
    "REQUEST_VERBS",
    "ROW_NOUNS",
    "STOPWORDS",
    "singular",
    "NAME_PARTS",
    "SYNONYMS",
    "TABLE_AFFIXES",
    "normalize",
    "number_words",
    "parse_number",
    "phrase_tokens",
    "lemmas",
    "split_identifier",
    "synonym_targets",
]

# -- normalisation -------------------------------------------------------------------------

#: Words whose plural is not regular (keys are plurals, values singulars).
IRREGULAR_PLURALS: dict[str, str] = {
    "people": "person", "persons": "person", "men": "man", "women": "woman",
    "children": "child", "feet": "foot", "teeth": "tooth", "mice": "mouse", "geese": "goose",
    "indices": "index", "matrices": "matrix", "vertices": "vertex", "criteria": "criterion",
    "analyses": "analysis", "diagnoses": "diagnosis", "theses": "thesis", "crises": "crisis",
    "axes": "axis", "bases": "base", "gases": "gas", "quizzes": "quiz", "knives": "knife",
    "wives": "wife", "lives": "life", "halves": "half", "shelves": "shelf", "wolves": "wolf",
    "heroes": "hero", "potatoes": "potato", "tomatoes": "tomato", "echoes": "echo",
    "vetoes": "veto", "cacti": "cactus", "alumni": "alumnus", "phenomena": "phenomenon",
    "abuses": "abuse", "excuses": "excuse", "fuses": "fuse", "refuses": "refuse",
    "accuses": "accuse", "amuses": "amuse", "ruses": "ruse", "muses": "muse",
    "caches": "cache", "niches": "niche", "headaches": "headache", "aches": "ache",
    "cliches": "cliche", "quiches": "quiche",
    "movies": "movie", "cookies": "cookie", "calories": "calorie", "hoodies": "hoodie",
    "zombies": "zombie", "rookies": "rookie", "selfies": "selfie", "smoothies": "smoothie",
    "brownies": "brownie", "goalies": "goalie", "freebies": "freebie", "genies": "genie",
    "skus": "sku", "menus": "menu", "gurus": "guru", "emus": "emu", "haikus": "haiku",
    "tofus": "tofu", "cpus": "cpu", "gpus": "gpu", "uris": "uri", "safaris": "safari",
}  # fmt: skip

#: Words ending in ``s`` that are not plurals (or, like ``sales``, are kept as they are:
#: "sales" is the department, the channel and the revenue, rarely one "sale").
NOT_PLURAL: frozenset[str] = frozenset({
    "sales", "news", "series", "species", "means", "headquarters", "whereabouts", "always",
    "perhaps", "whereas", "does", "goes", "yes", "this", "thus", "plus", "minus", "bonus",
    "alias", "atlas", "canvas", "bias", "texas", "christmas", "chaos", "kudos", "cosmos",
    "ethos", "pathos", "lens", "analytics", "logistics", "electronics", "economics",
    "physics", "mathematics", "statistics", "politics", "ethics", "athletics", "aerobics",
    "gymnastics", "diabetes", "measles", "billiards", "mumps", "pants", "jeans", "shorts",
    "glasses", "scissors", "trousers", "clothes", "goods", "savings", "earnings", "outskirts",
    "premises", "proceeds", "sports", "its", "his", "hers", "ours", "yours", "theirs", "was",
    "has", "is", "as", "us", "gps", "sms", "dns", "aws", "ios", "os", "vs", "gas", "bus", "los",
    "las", "les", "dis", "sis", "abs", "bys",
})  # fmt: skip

#: British (and other) spellings folded to the American form.
SPELLING_VARIANTS: dict[str, str] = {
    "cancelled": "canceled", "cancelling": "canceling", "cancelation": "cancellation",
    "labelled": "labeled", "labelling": "labeling", "modelled": "modeled",
    "modelling": "modeling", "travelled": "traveled", "travelling": "traveling",
    "totalled": "totaled", "totalling": "totaling", "fuelled": "fueled",
    "colour": "color", "behaviour": "behavior", "favourite": "favorite", "honour": "honor",
    "labour": "labor", "neighbour": "neighbor", "centre": "center", "metre": "meter",
    "litre": "liter", "theatre": "theater", "catalogue": "catalog", "dialogue": "dialog",
    "programme": "program", "licence": "license", "defence": "defense", "offence": "offense",
    "cheque": "check", "grey": "gray", "jewellery": "jewelry", "tyre": "tire",
    "fulfilment": "fulfillment", "enrolment": "enrollment", "instalment": "installment",
    "organisation": "organization", "organise": "organize", "organised": "organized",
    "authorise": "authorize", "authorised": "authorized", "authorisation": "authorization",
    "categorise": "categorize", "categorised": "categorized", "analyse": "analyze",
    "analysed": "analyzed", "optimise": "optimize", "summarise": "summarize",
    "utilisation": "utilization", "realised": "realized", "recognised": "recognized",
    "finalised": "finalized", "prioritised": "prioritized", "e-mail": "email",
}  # fmt: skip

_VOWELS = frozenset("aeiou")
_SINGULAR_IS = ("sis", "xis", "tis", "nis", "lis", "vis", "his", "ris", "ais", "eis", "ois", "uis")
_PUNCT_RE = re.compile(r"[^0-9a-z]+")


def _singular(w: str) -> str:
    if w in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[w]
    if len(w) <= 2 or w in NOT_PLURAL or not w.endswith("s") or w.isdigit():
        return w
    if w.endswith(("ss", "us")) or w.endswith(_SINGULAR_IS):
        return w  # address, status, analysis, axis (but kpis → kpi, apis → api)
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"  # categories → category
    if w.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return w[:-2]  # addresses → address, batches → batch, taxes → tax
    if w.endswith("uses") and len(w) >= 5 and w[-5] not in _VOWELS:
        return w[:-2]  # statuses → status, bonuses → bonus (but houses → house)
    return w[:-1]


@lru_cache(maxsize=16384)
def normalize(word: str) -> str:
    """One word in canonical form: lower case, no punctuation, singular, American spelling.

    ``"Categories"`` → ``category``, ``"statuses"`` → ``status``, ``"addresses"`` →
    ``address``, ``"employees"`` → ``employee``, ``"customer's"`` → ``customer``,
    ``"cancelled"`` → ``canceled``, ``"people"`` → ``person``. ``"sales"`` stays ``sales``
    (the department and the revenue sense; see :data:`NOT_PLURAL`).
    """
    w = word.strip().lower().replace("\u2019", "'")
    if w in SPELLING_VARIANTS:
        return SPELLING_VARIANTS[w]
    if w.endswith("'s"):
        w = w[:-2]
    elif w.endswith("s'"):
        w = w[:-1]
    w = _PUNCT_RE.sub("", w)
    if not w:
        return ""
    w = _singular(w)
    return SPELLING_VARIANTS.get(w, w)


@lru_cache(maxsize=16384)
def is_participle(word: str) -> bool:
    """A past participle ("written", "issued", "ordered"), not a noun a verb lemma happens to strip ("months")."""
    from lemminflect import getInflection, getLemma

    return word in getInflection(getLemma(word, upos="VERB")[0], tag="VBN")


def lemmas(word: str) -> frozenset[str]:
    """The word, its :func:`normalize` form and its lemmas as any part of speech (``lemminflect``), lower case.

    ``"clients"`` → {clients, client}; ``"ordered"`` → {ordered, order}; ``"averaged"`` →
    {averaged, average}; ``"data"`` → {data, datum}.
    """
    import lemminflect

    w = word.strip().lower().replace("\u2019", "'")
    out = {w, normalize(w)}
    for pos, forms in lemminflect.getAllLemmas(w).items():
        if pos == "VERB" and w in forms:
            continue  # a verb in its own base form: "feed" is not "fee'd", "found" is not "find" here
        out.update(f.lower() for f in forms)
    return frozenset(x for x in out if x)


_CAMEL_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def split_identifier(name: str) -> list[str]:
    """The words of an identifier, lower case: ``customerId`` → ``['customer', 'id']``.

    Splits on anything not a letter or digit (``order_items``, ``order-items``,
    ``sales.orders``), on camelCase humps (``HTTPStatus`` → ``['http', 'status']``) and
    between letters and digits (``address2`` → ``['address', '2']``).
    """
    out: list[str] = []
    for part in re.split(r"[^0-9A-Za-z]+", name):
        if part:
            out.extend(m.lower() for m in _CAMEL_RE.findall(part))
    return out


_POSSESSIVE_RE = re.compile(r"(?<=[A-Za-z])['\u2019]s?\b")


@lru_cache(maxsize=16384)
def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """A phrase as normalized words: ``"the Customer's signupDate"`` → ``('the', 'customer', 'signup', 'date')``."""
    text = _POSSESSIVE_RE.sub("", phrase)
    return tuple(n for w in split_identifier(text) if (n := normalize(w)))


# -- stopwords ---------------------------------------------------------------------------------

#: Words a request can use without them meaning anything for the query: articles, pronouns,
#: auxiliaries, polite words, glue prepositions, the verbs and nouns of asking for data
#: ("show me the rows of ..."). The planner may ignore these when they are left unused, so
#: nothing that changes a result belongs here (negation, comparison, aggregation, ordering,
#: limits and grouping words are :data:`OPERATOR_WORDS`).
STOPWORDS: frozenset[str] = frozenset(
    """
a an the this that these those there here it its they them their theirs he she his her hers
him we us our ours you your yours i me my mine someone something anything everything
who whom whose which what whatever when where why how whether
is are was were be been being am do does did done doing has have had having get gets got
getting can could would should will shall may might must need needs want wants wanted like
please thanks thank let lets kindly ok okay
of in on at to from by for with into onto upon via about as so such too very just also even
still and then along together all alongside beside behind
show shows showing display displays list lists listing give gives giving find finds return
returns fetch fetches tell see look looking calculate calculates calculating compute computes
computing make makes build builds create creates generate generates produce produces prepare
pull extract retrieve select query join filter filters filtered
table tables column columns field fields row rows record records entry entries data dataset
report reports result results info information details detail summarize summarise
""".split()
)

#: Words that mean something to a query but never name a table, column or value:
#: negation, logic, comparison, aggregation, ordering, limits, grouping, time, arithmetic.
OPERATOR_WORDS: frozenset[str] = frozenset(
    """
not no none nobody nothing never without except excluding exclude excludes excluded neither
nor or either but only unless if else because while though although
more less fewer greater smaller larger higher lower bigger over under above below between
than exceeding exceeds exceed within equal equals exactly approximately around least most
after before since until till during through ago last next previous past first top bottom
latest earliest newest oldest recent current highest lowest largest smallest biggest
greatest fewest best worst maximum minimum max min
total totals sum sums summed average averages avg mean median count counts number numbers
many much cumulative running overall distinct unique different each every per any some both
several few other others another same again once twice
sort sorts sorted sorting rank ranks ranked ranking ascending descending asc desc limit
group groups grouped grouping break broken breakdown split including include includes
included keep remove dedupe deduplicate duplicate duplicates new old start end begin
times plus minus divided multiplied percent percentage ratio round rounded decimal decimals
up down out off
""".split()
)

#: Words that never name a table, column or value on their own (schema linking uses
#: them only inside a known phrase: "first name", "phone number", "order total", "not active").
NON_SCHEMA_WORDS: frozenset[str] = STOPWORDS | OPERATOR_WORDS

#: Words that name a column only together with a table: ``id`` of departments is
#: ``department_id``; ``id`` alone names no column in particular.
GENERIC_WORDS: frozenset[str] = frozenset({
    "id", "ids", "key", "pk", "uuid", "guid", "name", "date", "time", "timestamp", "datetime",
    "day", "type", "kind", "code", "number", "num", "no", "nr", "value", "flag", "desc",
    "description", "label", "text", "ts", "dt", "at", "on", "is", "has", "by",
})  # fmt: skip

#: Words that ask for an aggregate of the column after them ("total sales", "average pay").
AGGREGATE_WORDS: frozenset[str] = frozenset({
    "total", "sum", "summed", "average", "avg", "mean", "median", "max", "maximum", "min",
    "minimum", "highest", "lowest", "largest", "smallest", "biggest", "greatest", "most",
    "least", "count", "number", "cumulative", "running", "overall", "combined", "aggregate",
})  # fmt: skip

#: Words that make an identifier the name of a measure, not of a table or column
#: (``order_count``, ``total_amount``, ``avg_salary``, ``pct_sessions``, ``closed_ratio``).
MEASURE_WORDS: frozenset[str] = AGGREGATE_WORDS | frozenset({
    "avg", "cnt", "num", "pct", "percent", "percentage", "ratio", "share", "rate", "proportion",
    "fraction", "mean", "stddev", "std", "variance", "sums", "totals", "counts",
})  # fmt: skip

#: Nouns that, after a table's word, name the table's rows: "salary records", "order rows",
#: "transaction entries", "order lines" (when no table is called that).
ROW_NOUNS: frozenset[str] = frozenset({"record", "row", "entry", "line"})

#: Verbs (and verb phrases, as regular-expression alternatives) that only introduce a request or a
#: clause: "Pull ...", "Make a ...", "Attach X to Y", "Tag X with Y", "Give me ...". They ask for
#: the result and change nothing in it; a recognizer that reads a list after one consumes it.
REQUEST_VERBS: tuple[str, ...] = (
    r"give\s+me", r"get\s+me", r"show\s+me", r"send\s+me", r"bring\s+me", r"find\s+me", r"pull\s+up",
    r"i\s+(?:need|want|would\s+like|'d\s+like)", r"can\s+you", r"could\s+you", r"please",
    r"show(?:ing)?", r"display(?:ing)?", r"list(?:ing)?", r"return(?:ing)?", r"output(?:ting)?",
    r"pull(?:ing)?", r"fetch(?:ing)?", r"get(?:ting)?", r"retriev(?:e|ing)", r"extract(?:ing)?",
    r"select(?:ing)?", r"make", r"making", r"build(?:ing)?", r"produc(?:e|ing)", r"creat(?:e|ing)",
    r"generat(?:e|ing)", r"prepar(?:e|ing)", r"copy(?:ing)?", r"clon(?:e|ing)", r"export(?:ing)?",
    r"dump(?:ing)?", r"attach(?:ing)?", r"tag(?:ging)?", r"annotat(?:e|ing)", r"enrich(?:ing)?",
    r"label(?:l?ing)?", r"augment(?:ing)?", r"add(?:ing)?", r"append(?:ing)?", r"using\s+only",
    r"using", r"from", r"take", r"taking",
)

#: Common table-name prefixes and suffixes of warehouses (``dim_customer``, ``fact_orders``).
TABLE_AFFIXES: frozenset[str] = frozenset({
    "dim", "fact", "fct", "tbl", "tb", "stg", "staging", "raw", "src", "vw", "view", "v",
    "mart", "int", "base", "ods", "dw", "edw", "hist", "history", "snapshot", "snap", "table",
})  # fmt: skip


# -- synonyms ------------------------------------------------------------------------------

#: Business words → catalog-ish words they can stand for (table or column names, singular).
#: Keys may be phrases; keys and targets are compared after :func:`phrase_tokens`.
#: Role nouns that name another row of the same table through a key column holding its id (a hierarchy:
#: employees.manager_id, doctors.supervisor_id, categories.parent_id), with the verbs (lemmas) that say the
#: relation from the lower row's side ("reports to", "managed by", "referred by"): the key is found by the
#: noun among its words, or by the verb's participle ("referred_by_org_id" → referrer).
HIERARCHY_ROLES: dict[str, tuple[str, ...]] = {
    "manager": ("manage", "report"),
    "supervisor": ("supervise", "report", "oversee"),
    "boss": ("report",),
    "lead": ("lead", "report"),
    "mentor": ("mentor",),
    "sponsor": ("sponsor",),
    "referrer": ("refer",),
    "parent": (),
    "reviewer": ("review",),
    "approver": ("approve",),
}

SYNONYMS: dict[str, list[str]] = {
    # -- people and parties
    "customer": ["client", "user", "account", "member", "buyer", "shopper"],
    "client": ["customer", "account"],
    "buyer": ["customer"],
    "shopper": ["customer"],
    "purchaser": ["customer"],
    "patron": ["customer"],
    "consumer": ["customer"],
    "user": ["customer", "member", "account"],
    "member": ["customer", "user"],
    "subscriber": ["customer", "user", "subscription"],
    "visitor": ["user", "session", "visit"],
    "employee": ["staff", "worker", "personnel", "emp"],
    "staff": ["employee"],
    "staff member": ["employee"],
    "worker": ["employee"],
    "people": ["employee", "person"],
    "personnel": ["employee"],
    "headcount": ["employee"],
    "head count": ["employee"],
    "workforce": ["employee"],
    "team member": ["employee"],
    "colleague": ["employee"],
    "new hire": ["employee"],
    "manager": ["manager_id", "manager", "supervisor_id"],
    "boss": ["manager_id", "manager"],
    "supervisor": ["manager_id", "supervisor_id", "manager"],
    "reports to": ["manager_id"],
    "vendor": ["supplier", "vendor"],
    "supplier": ["vendor", "supplier"],
    # -- organisation
    "company": ["organization", "org", "company"],
    "firm": ["organization", "org", "company"],
    "organization": ["org", "company"],
    "org": ["organization", "org"],
    "dept": ["department"],
    "division": ["department", "division"],
    "business unit": ["department"],
    "team": ["department", "team"],
    "department": ["dept", "division"],
    "cost centre": ["cost_center"],
    # -- orders, sales, items
    "purchase": ["order", "purchase"],
    "sale": ["order", "sale"],
    "sales": ["order", "amount", "sale", "revenue"],
    "order": ["purchase", "sale", "transaction"],
    "transaction": ["order", "transaction", "payment"],
    "booking": ["order", "booking", "reservation"],
    "invoice": ["invoice", "order", "bill"],
    "bill": ["invoice", "bill", "order"],
    "item": ["order_item", "item", "line_item", "product"],
    "line": ["order_item", "line_item", "order_line"],
    "line item": ["order_item", "line_item", "order_line"],
    "order line": ["order_item", "order_line", "line_item"],
    "order item": ["order_line", "line_item"],
    "basket item": ["order_item", "cart_item"],
    "product": ["item", "sku", "article"],
    "sku": ["product", "sku"],
    "article": ["product"],
    "merchandise": ["product"],
    "goods": ["product"],
    "catalog item": ["product"],
    "category": ["product_category", "category"],
    "product category": ["category"],
    "product type": ["category"],
    "shipment": ["shipment", "delivery"],
    "delivery": ["shipment", "delivery"],
    "return": ["return", "refund"],
    "refund": ["refund", "return"],
    "cart": ["cart", "basket"],
    # -- money
    "spend": ["amount", "total_amount", "spend", "revenue"],
    "spending": ["amount", "total_amount", "spend"],
    "spent": ["amount", "total_amount", "spend"],
    "revenue": ["amount", "revenue", "total_amount", "sales"],
    "turnover": ["amount", "revenue"],
    "gmv": ["amount", "revenue"],
    "value": ["amount", "value", "total_amount"],
    "order value": ["amount", "order_total", "total_amount"],
    "order total": ["amount", "order_total", "total_amount"],
    "total": ["amount", "total", "total_amount"],
    "money": ["amount"],
    "worth": ["amount", "value"],
    "price": ["unit_price", "price", "list_price"],
    "unit price": ["price", "list_price"],
    "cost": ["unit_price", "price", "cost", "unit_cost"],
    "unit cost": ["unit_price", "cost"],
    "list price": ["unit_price", "price"],
    "msrp": ["list_price", "unit_price", "price"],
    "expensive": ["unit_price", "price"],
    "cheap": ["unit_price", "price"],
    "pay": ["salary", "wage", "compensation", "pay"],
    "paycheck": ["salary"],
    "wage": ["salary", "wage"],
    "wages": ["salary", "wage"],
    "compensation": ["salary", "compensation"],
    "earnings": ["salary"],
    "remuneration": ["salary"],
    "salary": ["wage", "compensation", "pay", "base_salary"],
    "payroll": ["salary"],
    "income": ["salary", "income"],
    "raise": ["salary"],
    "discount code": ["discount_code", "coupon_code", "promo_code"],
    "coupon": ["discount_code", "coupon_code", "coupon", "promo_code"],
    "coupon code": ["discount_code", "promo_code"],
    "promo": ["discount_code", "promo_code", "promotion"],
    "promo code": ["discount_code", "coupon_code"],
    "voucher": ["discount_code", "voucher", "coupon_code"],
    "payment": ["payment", "amount"],
    "fee": ["fee", "amount"],
    "tax": ["tax", "tax_amount", "vat"],
    "vat": ["tax", "vat"],
    "currency": ["currency", "currency_code"],
    "profit": ["profit", "margin"],
    "margin": ["margin", "profit"],
    "expense": ["expense", "cost", "amount"],
    "balance": ["balance", "amount"],
    "budget": ["budget"],
    # -- quantities
    "qty": ["quantity"],
    "quantity": ["qty", "units", "quantity"],
    "unit": ["quantity", "units"],
    "units sold": ["quantity"],
    "volume": ["quantity", "volume"],
    # -- dates and events
    "hired": ["hire_date", "hired_at", "start_date", "hire_dt"],
    "hire": ["hire_date", "hired_at", "start_date"],
    "hiring": ["hire_date", "hired_at"],
    "hire date": ["hired_at", "start_date"],
    "start date": ["start_date", "hire_date"],
    "employed since": ["hire_date", "start_date"],
    "joined": ["hire_date", "signup_date", "join_date", "joined_at", "created_at", "registration_date"],
    "join date": ["hire_date", "signup_date", "joined_at", "created_at"],
    "joining": ["hire_date", "signup_date", "join_date"],
    "tenure": ["hire_date", "start_date"],
    "began": ["start_date", "started_at", "begin_date"],
    "begun": ["start_date", "started_at", "begin_date"],
    "commenced": ["start_date", "started_at"],
    "finished": ["end_date", "ended_at", "finished_at"],
    "concluded": ["end_date", "ended_at"],
    "fired": ["termination_date", "terminated_at", "end_date"],
    "terminated": ["termination_date", "terminated_at", "end_date"],
    "termination": ["termination_date", "terminated_at"],
    "left": ["termination_date", "end_date", "left_at"],
    "quit": ["termination_date", "end_date"],
    "resigned": ["termination_date", "end_date"],
    "resignation": ["termination_date"],
    "departure": ["termination_date", "end_date"],
    "leaving date": ["termination_date", "end_date"],
    "exit date": ["termination_date", "end_date"],
    "signed up": ["signup_date", "created_at", "registered_at", "registration_date", "signup_at"],
    "signup": ["signup_date", "created_at", "registered_at", "registration_date", "signup_at"],
    "sign up": ["signup_date", "created_at", "registered_at", "registration_date"],
    "sign up date": ["signup_date", "created_at", "registration_date"],
    "registered": ["registration_date", "registered_at", "signup_date", "created_at"],
    "registration": ["registration_date", "registered_at", "signup_date"],
    "created": ["created_at", "created_date", "creation_date", "create_date"],
    "creation date": ["created_at", "created_date"],
    "updated": ["updated_at", "modified_at", "last_updated", "update_date"],
    "modified": ["modified_at", "updated_at"],
    "ordered": ["order_date", "ordered_at", "order_ts"],
    "purchased": ["order_date", "purchase_date", "purchased_at"],
    "purchase date": ["order_date", "purchased_at"],
    "placed": ["order_date", "ordered_at", "placed_at"],
    "shipped": ["ship_date", "shipped_at", "shipped_date"],
    "delivered": ["delivery_date", "delivered_at"],
    "born": ["birth_date", "date_of_birth", "dob", "birthdate"],
    "birthday": ["birth_date", "date_of_birth", "dob", "birthdate"],
    "dob": ["birth_date", "date_of_birth", "birthdate"],
    "effective": ["effective_date", "effective_from", "valid_from"],
    "effective from": ["effective_date", "valid_from"],
    "valid from": ["effective_date", "start_date"],
    "valid to": ["end_date", "valid_to"],
    "expiry": ["expiry_date", "expires_at", "expiration_date", "end_date"],
    "expiration": ["expiration_date", "expiry_date", "expires_at"],
    "timestamp": ["created_at", "event_time", "ts"],
    # -- contact and identity
    "email address": ["email", "email_address"],
    "e mail": ["email"],
    "mail": ["email"],
    "email": ["email_address"],
    "phone number": ["phone", "phone_number", "telephone"],
    "telephone": ["phone", "phone_number"],
    "telephone number": ["phone", "phone_number"],
    "mobile number": ["phone", "mobile", "mobile_phone"],
    "cell phone": ["phone", "mobile"],
    "contact number": ["phone", "phone_number"],
    "phone": ["phone_number", "telephone"],
    "surname": ["last_name", "family_name", "surname"],
    "family name": ["last_name", "surname"],
    "last name": ["surname", "family_name"],
    "given name": ["first_name", "given_name"],
    "forename": ["first_name"],
    "first name": ["given_name", "forename"],
    "full name": ["full_name", "name", "first_name", "last_name"],
    "name": ["name", "full_name", "first_name", "last_name", "display_name"],
    "username": ["username", "user_name", "login"],
    "login": ["username", "login"],
    # -- places
    "town": ["city"],
    "city": ["town"],
    "nation": ["country"],
    "country": ["nation", "country_code"],
    "region": ["region", "state", "country"],
    "province": ["state", "province"],
    "state": ["state", "province", "region"],
    "zip": ["zip_code", "postal_code", "zip", "postcode"],
    "zip code": ["postal_code", "zip"],
    "postcode": ["postal_code", "zip_code", "postcode"],
    "postal code": ["zip_code", "postcode"],
    "location": ["location", "city", "address", "office"],
    "office": ["location", "office"],
    "address": ["address", "street", "address_line1"],
    "street": ["street", "address"],
    # -- HR attributes
    "title": ["job_title", "title"],
    "job": ["job_title", "title", "role", "position"],
    "role": ["job_title", "role", "position"],
    "position": ["job_title", "position", "role"],
    "rating": ["performance_rating", "rating", "score"],
    "performance": ["performance_rating", "performance_score"],
    "score": ["score", "rating"],
    "contract type": ["employment_type", "contract_type"],
    "employment type": ["contract_type", "employment_status"],
    "employment status": ["employment_type", "employment_status"],
    "reason": ["change_reason", "reason"],
    "level": ["level", "grade", "seniority"],
    "grade": ["grade", "level"],
    "subscription plan": ["plan", "subscription_plan", "tier"],
    "plan": ["plan", "subscription_plan"],
    "seniority": ["seniority", "level", "hire_date"],
    # -- product and order attributes
    "segment": ["segment", "customer_segment", "tier"],
    "tier": ["segment", "tier", "level"],
    "channel": ["channel", "sales_channel", "source"],
    "source": ["source", "channel", "utm_source"],
    "platform": ["channel", "platform", "device"],
    "state of order": ["status"],
    "order status": ["status"],
    "status": ["status", "state"],
    "active": ["is_active", "active", "status"],
    "enabled": ["is_enabled", "enabled", "is_active"],
    "deleted": ["is_deleted", "deleted", "deleted_at"],
    "parent": ["parent_category", "parent_id"],
    "brand": ["brand", "manufacturer"],
    "manufacturer": ["manufacturer", "brand"],
    "weight": ["weight", "weight_kg"],
    "stock": ["stock", "quantity_on_hand", "inventory"],
    "inventory": ["inventory", "stock", "quantity_on_hand"],
    # -- web analytics
    "visit": ["session", "visit"],
    "page view": ["pageview", "page_view", "event"],
    "pageview": ["page_view", "event"],
    "click": ["click", "event"],
    "event": ["event", "event_name", "event_type"],
    "device": ["device", "device_type", "platform"],
    "browser": ["browser", "user_agent"],
    "referrer": ["referrer", "referer", "utm_source"],
    "campaign": ["campaign", "utm_campaign"],
    "conversion": ["conversion", "converted", "is_converted"],
    "duration": ["duration", "duration_seconds", "session_length"],
}

_SYN_INDEX: dict[str, tuple[str, ...]] = {}


def _build_synonym_index() -> None:
    for key, targets in SYNONYMS.items():
        k = "".join(phrase_tokens(key))
        merged = list(_SYN_INDEX.get(k, ()))
        for t in targets:
            c = "".join(phrase_tokens(t))
            if c and c not in merged and c != k:
                merged.append(c)
        _SYN_INDEX[k] = tuple(merged)


_build_synonym_index()


def synonym_targets(phrase: str) -> tuple[str, ...]:
    """The targets of ``phrase`` in :data:`SYNONYMS`, each as normalized words run together.

    ``"Clients"`` → ``('customer', 'account')``; ``"hired"`` → ``('hiredate', 'hiredat', ...)``.
    """
    return _SYN_INDEX.get("".join(phrase_tokens(phrase)), ())


def synonym_index() -> dict[str, tuple[str, ...]]:
    """:data:`SYNONYMS` with keys and targets as normalized words run together (a copy)."""
    return dict(_SYN_INDEX)


# -- numbers -------------------------------------------------------------------------------------

#: Number words and their values ("a dozen" is 12, "hundred" multiplies).
NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "million": 1_000_000, "billion": 1_000_000_000, "dozen": 12, "couple": 2, "pair": 2,
}  # fmt: skip
#: a number of things as a regex: digits or a number word ("5", "five"), longest words first
NUMBER_PATTERN = r"(?:\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"

#: Same mapping under the lower-case name the planner may import.
number_words = NUMBER_WORDS

_MULTIPLIERS = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000, "dozen": 12}
_SUFFIX = {"k": 1000, "m": 1_000_000, "mm": 1_000_000, "bn": 1_000_000_000, "b": 1_000_000_000}
_NUM_RE = re.compile(r"^\$?(-?\d+(?:,\d{3})*(?:\.\d+)?|-?\.\d+)\s*(k|m|mm|bn|b)?$", re.I)


def parse_number(text: str) -> int | float | None:
    """A number written in digits or words, or None.

    ``"1,000"`` → 1000, ``"2.5k"`` → 2500, ``"twenty five"`` → 25, ``"a dozen"`` → 12,
    ``"3 thousand"`` → 3000, ``"two hundred and fifty"`` → 250.
    """
    s = text.strip().lower().replace("-", " ")
    m = _NUM_RE.match(s.replace(" ", "")) if s else None
    if m:
        raw, suffix = m.group(1).replace(",", ""), m.group(2)
        val = float(raw) * (_SUFFIX[suffix.lower()] if suffix else 1)
        return int(val) if val.is_integer() and ("." not in raw or suffix) else val
    words = [w for w in s.split() if w not in ("a", "an", "and")]
    if not words:
        return None
    total: float = 0
    current: float = 0
    seen = False
    for w in words:
        if w in _MULTIPLIERS:
            current = (current or 1) * _MULTIPLIERS[w]
            if _MULTIPLIERS[w] >= 1000:
                total += current
                current = 0
            seen = True
        elif w in NUMBER_WORDS:
            current += NUMBER_WORDS[w]
            seen = True
        else:
            try:
                current += float(w.replace(",", ""))
                seen = True
            except ValueError:
                return None
    if not seen:
        return None
    out = total + current
    return int(out) if out == int(out) else out


#: the two columns a table may keep a person's name in (first_name + last_name ...)
NAME_PARTS: tuple[tuple[str, str], ...] = (("first_name", "last_name"), ("given_name", "family_name"),
                                           ("forename", "surname"))


def singular(word: str) -> str:
    """A plural noun's singular, by its ending ("categories" → category, "boxes" → box, "players" → player)."""
    w = word.lower()
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "xes", "ches", "shes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w
