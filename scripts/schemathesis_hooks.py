"""Schemathesis hooks for ./scripts/api-fuzz (loaded by scripts/schemathesis.toml).

The OpenAPI document states every rule on one value: types, ranges, lengths, patterns, enums,
which fields go together. A few rules depend on something no document can state: today's date,
another field's value, the household's settings, the current version of an object, or the
bytes of an uploaded file. A schema-valid request that breaks one of them is rightly refused,
so the "schema-valid request rejected" check (ST202) would flag it.

`filter_failure` drops exactly those refusals, and nothing else: the answer must have the
status, and the problem body must name the field and say the message listed below (the server
words each rule in one place). Every other ST202 still fails the run, so a constraint the
document forgets is still caught. Two more are dropped, each for one precise reason given at
its place below: a 412 for a made-up If-Match, and the 404 of an attachment not uploaded yet.
docs/TESTING.md lists the same rules.
"""

import json

import schemathesis

# (status, field, message prefix) of each rule that depends on more than the value itself. A
# field of None matches a problem without field errors (the rule is in `detail`).
RULES = [
    # "Not after today": the document cannot know today's date (in the household's time zone).
    (400, ("used_on", "bought_on", "paid_on", "date"), "must not be after today"),
    # One field ordered after another.
    (400, ("to",), "must not be before from"),
    (400, ("date_to",), "must not be before date_from"),
    (400, ("until",), "must not be before date"),
    (400, ("to",), "from..to may span at most"),
    (400, ("red_at",), "must be at least yellow_at"),
    (400, ("hard_spend_limit",), "must be at least big_spend_threshold"),
    # A product of two fields must stay a representable amount.
    (400, ("est_unit_cost",), "qty × est_unit_cost is out of range"),
    # Stock on hand plus the restock must stay a representable quantity.
    (400, ("qty",), "the resulting quantity is out of range"),
    # Names in one preset are distinct after normalising (trim, collapse spaces, case-fold).
    (400, ("name",), "names the same item as"),
    # The ledger is kept in the household currency, a setting.
    (400, ("currency",), "ledger entries are kept in the household currency"),
    # Paying a bill in another currency than the ledger's needs the amount actually paid.
    (400, ("amount",), "the bill is in "),
    # Marking bought records what was paid: the item's estimate when no `actual_total` is given.
    (400, ("actual_total",), "is required: the item has no estimated cost"),
    # Quick add takes its item from the query or from a body: exactly one of the two.
    (400, ("name",), "is required, as a query parameter or in a JSON body"),
    (400, None, "send the item as query parameters or as a JSON body, not both"),
    # Attachments are judged by their bytes (PDF, JPEG, PNG, WebP), which generated data is not.
    (415, None, "attachments must be PDF, JPEG, PNG or WebP files"),
    (415, None, "the content is "),
    (400, None, "an attachment body is required"),
]


def _last_segment(field: str) -> str:
    # `params.bought_on`, `items[3].name`, `categories.food.red_at` → the field's own name.
    return field.rsplit(".", 1)[-1]


def _problem(response):
    try:
        return json.loads(response.content)
    except (ValueError, TypeError):
        return None


def _is_undocumentable(status: int, problem: dict) -> bool:
    errors = problem.get("errors") or []
    detail = problem.get("detail") or ""
    for rule_status, fields, message in RULES:
        if status != rule_status:
            continue
        if fields is None:
            if detail.startswith(message):
                return True
            continue
        if errors and all(
            _last_segment(e.get("field", "")) in fields and e.get("message", "").startswith(message)
            for e in errors
        ):
            return True
    return False


def _attachment_not_made_yet(case, response) -> bool:
    # A receipt is created without an attachment; the attachment is its own resource, made by
    # `PUT …/attachment`. Until then `GET …/attachment` is rightly a 404 "attachment not found"
    # (documented), which "created resource not found" (ST302) takes for a missing receipt.
    # A 404 for the receipt itself ("receipt not found") still fails the run.
    if case.operation.label != "GET /core/receipts/{id}/attachment" or response.status_code != 404:
        return False
    problem = _problem(response)
    return isinstance(problem, dict) and problem.get("detail") == "attachment not found"


def _sent_if_match(case) -> bool:
    return any(name.lower() == "if-match" for name in (case.headers or {}))


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if failure.code == "ST302":
        return not _attachment_not_made_yet(case, response)
    status = response.status_code
    # If-Match names a version of the object; one the generator makes up is stale (412), the
    # same as a real client's stale copy. RFC 9110 (13.2.2) evaluates that precondition before
    # the request content is processed, so a stale If-Match is a 412 whether the content is
    # valid (ST202) or not (ST201). Only requests that sent If-Match are excused.
    if failure.code in ("ST201", "ST202") and status == 412 and _sent_if_match(case):
        return False
    if failure.code != "ST202":
        return True
    problem = _problem(response)
    if isinstance(problem, dict) and _is_undocumentable(status, problem):
        return False
    return True
