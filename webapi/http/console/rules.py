"""The rules page: the rule set in force, an editor to validate, preview and apply a new one, the history.

The actions are the API's (``webapi.http.api.rules``) over the same functions: a document is
validated in full (every problem listed, one per line), previewed against the active rules
without storing anything, and applied as a new version with who (the signed-in key) and why.
The page keeps the editor's text across actions, so a refused document is fixed in place.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from data.package_summaries import package_summaries
from data.rule_store import AUTHOR_MAX_LENGTH, RuleSetAuditError
from matching.rule_changes import RuleChanges
from matching.rule_document import RuleDocumentError, parse_rule_document, render_document
from webapi.http.api.heavy_calls import heavy_call
from webapi.http.console.blueprint import bp
from webapi.http.console.preview_view import PreviewView, preview_view, previewed_package_ids
from webapi.http.console.processes import rules_served, serving_processes, serving_summary
from webapi.http.console.signin import operator
from webapi.http.context import engine, serving_state
from webapi.services.model_store import NoActiveModelError, utc_now
from webapi.services.rule_sets import (
    active_rule_set_json,
    apply_rule_set,
    changes_from_active,
    preview_rule_set,
    rule_versions_json,
)
from webapi.services.serving import ModelUnavailableError

#: (default, low, high) of the preview form's numbers, as the API's.
SAMPLE = (20, 1, 500)
TOP_K = (20, 1, 100)


@bp.get("/rules")
def rules_page() -> str:
    """The active rule set in the editor."""
    return _page(render_document(active_rule_set_json(engine())["document"]))


@bp.post("/rules/validate")
def validate() -> tuple[str, int]:
    """Check the edited document; say what it changes from the active rules, resets included."""
    text = _document_text()
    try:
        changes = changes_from_active(engine(), text)
    except RuleDocumentError as error:
        return _page(text, problems=error.problems), 422
    return _page(text, notice=_changes_notice("Valid.", changes), warn=bool(changes.reset)), 200


def _changes_notice(lead: str, changes: RuleChanges) -> str:
    """``Valid. 3 rules change, of which 1 resets to its default: ...`` for the validation panel."""
    if not changes.changed:
        return f"{lead} It is the same as the active rule set."
    notice = f"{lead} {changes.summary[0].upper()}{changes.summary[1:]}: {', '.join(changes.changed)}."
    if changes.reset:
        notice += f" Left out of the document, so back to the default: {', '.join(changes.reset)}."
    return notice


@bp.post("/rules/preview")
def preview() -> tuple[str, int]:
    """What the edited rules would change in sampled investors' lists and on the offline replay."""
    text = _document_text()
    options = _preview_options()
    problems = options.pop("problems")
    try:
        parse_rule_document(text)
    except RuleDocumentError as error:
        problems = [*problems, *error.problems]
    if problems:
        return _page(text, problems=problems, form=options), 422
    state = serving_state()
    try:
        with state.serving() as snapshot:
            version = snapshot.model_version
    except (NoActiveModelError, ModelUnavailableError) as error:
        return _page(text, problems=[f"(preview): {error}"], form=options), 503
    store = engine()
    previewed = preview_rule_set(
        store,
        version,
        text,
        state.clock(),
        sample=options["sample"],
        k=options["k"],
        offline=options["offline"],
        gate=lambda: heavy_call("this preview"),  # one at a time per server, as the API's
    )
    document = previewed.to_json()
    with store.connect() as connection:
        titles = {
            p: s.title for p, s in package_summaries(connection, previewed_package_ids(document)).items()
        }
    return _page(text, preview=preview_view(document, titles), form=options), 200


@bp.post("/rules/apply")
def apply() -> Response | tuple[str, int]:
    """Store the edited rules as the new active version, with the operator's reason.

    A document that leaves out rules the active version sets would put them back to their
    defaults: the first Apply only shows which ones (409, nothing stored) and asks to confirm;
    Apply again with the same resets confirmed stores it.
    """
    text = _document_text()
    why = request.form.get("why", "")
    author = operator().author[:AUTHOR_MAX_LENGTH]
    problems = [] if why.strip() else ["why: say why the rules change (a non-empty text)"]
    try:
        changes = changes_from_active(engine(), text)
    except RuleDocumentError as error:
        problems += error.problems
    if problems:
        return _page(text, problems=problems, why=why), 422
    if changes.reset and request.form.get("confirm_reset") != _reset_token(changes):
        notice = _changes_notice("Nothing was applied yet.", changes) + " Apply again to confirm."
        return _page(text, notice=notice, why=why, confirm_reset=_reset_token(changes), warn=True), 409
    try:
        version = apply_rule_set(serving_state(), text, author, why, utc_now()).version
    except RuleDocumentError as error:
        return _page(text, problems=error.problems, why=why), 422
    except RuleSetAuditError as error:
        return _page(text, problems=[f"why: {error}"], why=why), 422
    flash(f"Rule set version {version.version} is active: {version.reason}", "success")
    return redirect(url_for("console.rules_page"), 303)


def _reset_token(changes: RuleChanges) -> str:
    """What a confirmation names: the resets the operator saw (other resets ask again)."""
    return hashlib.sha256("\n".join(changes.reset).encode("utf-8")).hexdigest()[:16]


def _document_text() -> str:
    # Browsers send textarea line breaks as CRLF; YAML reads them either way, the history shows LF.
    return request.form.get("document", "").replace("\r\n", "\n")


def _preview_options() -> dict[str, Any]:
    problems = []
    values: dict[str, Any] = {}
    for name, label, (default, low, high) in (("sample", "investors", SAMPLE), ("k", "k", TOP_K)):
        raw = request.form.get(name, str(default)).strip()
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            problems.append(f"(preview) {label}: must be an integer from {low} to {high}, got {raw!r}")
            value = default
        values[name] = value
    values["offline"] = request.form.get("offline") == "on"
    values["problems"] = problems
    return values


def _page(
    text: str,
    problems: list[str] | None = None,
    notice: str | None = None,
    preview: PreviewView | None = None,
    why: str = "",
    form: dict[str, Any] | None = None,
    confirm_reset: str | None = None,
    warn: bool = False,
) -> str:
    """The rules page around the editor's ``text`` and the outcome of the last action."""
    active = active_rule_set_json(engine())
    processes = serving_processes(lambda process: process["rule_version"] == active["version"])
    versions = rule_versions_json(engine())
    if form is None:  # keep what the operator set in the preview options across the other actions
        form = {"offline": True}
        if request.method == "POST":
            form = {name: value for name, value in _preview_options().items() if name != "problems"}
    options = {"sample": SAMPLE[0], "k": TOP_K[0], **form}
    return render_template(
        "console/rules.html",
        active=active,
        serving=serving_summary(processes, f"rule set version {active['version']}", rules_served),
        document_text=text,
        problems=problems or [],
        notice=notice,
        preview=preview,
        why=why,
        form=options,
        history=versions,
        confirm_reset=confirm_reset,
        warn=warn,
    )
