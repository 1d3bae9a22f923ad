"""The editor's form: how an automation document is written into HTML inputs and read back.

Every input is named ``<location>::<part>``. The location is the step's place in the document
as the validation messages write it (``trigger``, ``steps[0]``,
``steps[1].branches[0].steps[0]``, ``steps[1].otherwise[0]``); the part names what the input
holds:

- ``name``, ``connection``, ``match``: the step's own settings;
- ``in::<field>``: a field's value as text, a template or a fixed value;
- ``mode::<field>``: ``fixed`` or ``mapped``, for fields that offer both;
- ``fix::<field>``: the value chosen in the list of a fixed single-choice or yes/no field;
- ``pick::<field>::<choice>``: one checked choice of a fixed multiple-choice field;
- ``cond[<i>]::value|operator|compare_to``: a condition of a filter step;
- ``branch[<j>]::name``, ``branch[<j>]::match``, ``branch[<j>]::cond[<i>]::…``: a path's branch;
- ``formats::date_order``, ``formats::default_language``, ``formats::province_implies_country``
  and ``formats::off::<field>``: the step's ``formats:`` block, read only when the form also
  holds ``formats::shown`` (an unchecked box posts nothing).

:func:`read_form` applies the posted values to the stored document and returns the new
document with the problems found while reading (a JSON field that does not parse), keyed by
the input's name. Structural changes (add or remove a step, a branch or a condition) are
:func:`apply_change` calls, made after the values are read so no typing is lost.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from arrimage.connectors.declaration import App, Field, FieldType, Operation, OperationKind
from arrimage.engine.document import FORMAT_DEFAULTS
from arrimage.i18n import LazyText, _, _l

SEPARATOR = "::"
FIXED = "fixed"
MAPPED = "mapped"
# A new condition: the value must exist. The editor fills it in before it means anything.
NEW_CONDITION: dict[str, Any] = {"value": "", "operator": "exists"}
_INDEX = re.compile(r"^(?P<key>[a-z_]+)\[(?P<index>\d+)\]$")
# Each option of a step's formats: block, with the normalizer that reads it. The editor offers
# an option only on steps that have a field with that normalizer.
FORMAT_OPTIONS = {"date_order": "birthdate", "default_language": "language",
                  "province_implies_country": "country"}


def input_name(location: str, *parts: str | int) -> str:
    """Return the name of the input that contains ``parts`` of the step at ``location``."""
    return SEPARATOR.join([location, *(str(part) for part in parts)])


def offers_fixed(field: Field) -> bool:
    """Return whether a field offers a fixed value chosen from a list besides a mapped template."""
    if field.type is FieldType.BOOLEAN:
        return True
    return field.type in (FieldType.CHOICE, FieldType.MULTICHOICE) and bool(field.choices or field.choices_from)


def field_mode(field: Field, value: Any) -> str:
    """Return how the editor shows ``value``: ``fixed`` (a choice) or ``mapped`` (a text)."""
    if not offers_fixed(field):
        return MAPPED
    if value is None or value == "" or value == []:
        return FIXED
    if isinstance(value, str) and "{{" in value:
        return MAPPED
    if field.choices and field.type is FieldType.CHOICE:
        return FIXED if str(value) in {choice.value for choice in field.choices} else MAPPED
    return FIXED


def converted_fields(operation: Operation) -> list[Field]:
    """Return the fields that a normalizer converts: those a formats: block can turn off."""
    return [field for field in operation.fields if field.normalizer]


def format_options(operation: Operation) -> list[str]:
    """Return the formats: options that change how some field of ``operation`` is converted."""
    normalizers = {field.normalizer for field in operation.fields}
    return [option for option, normalizer in FORMAT_OPTIONS.items() if normalizer in normalizers]


def text_of(value: Any) -> str:
    """Return a value as the text of an input: JSON for lists and mappings."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def node_at(document: dict[str, Any], location: str) -> Any:
    """Return the part of ``document`` at ``location`` (``trigger``, ``steps[1].otherwise``…)."""
    node: Any = document
    for part in location.split("."):
        match = _INDEX.match(part)
        if match:
            node = node[match["key"]][int(match["index"])]
        else:
            node = node[part]
    return node


def iter_locations(steps: list[dict[str, Any]], prefix: str = "steps") -> list[tuple[str, dict[str, Any]]]:
    """Return ``(location, step)`` for every step of a document's step list, branches included."""
    found: list[tuple[str, dict[str, Any]]] = []
    for index, step in enumerate(steps):
        location = f"{prefix}[{index}]"
        found.append((location, step))
        for branch_index, branch in enumerate(step.get("branches") or []):
            found += iter_locations(branch.get("steps") or [], f"{location}.branches[{branch_index}].steps")
        if step.get("type") == "path" or "branches" in step:
            found += iter_locations(step.get("otherwise") or [], f"{location}.otherwise")
    return found


def step_kind(step: dict[str, Any]) -> str:
    """Return a step's type, as the document's parser infers it."""
    if step.get("type"):
        return str(step["type"])
    if "branches" in step:
        return "path"
    if "conditions" in step:
        return "filter"
    return "action"


def operation_of(apps: dict[str, App], app_key: str, kind: str, key: str) -> Operation | None:
    """Return the declared operation of a step or trigger, or None when unknown."""
    app = apps.get(app_key)
    return app.operation(OperationKind(kind), key) if app else None


@dataclass
class FormRead:
    """The document rebuilt from a posted form, and the inputs that could not be read."""

    document: dict[str, Any]
    problems: dict[str, LazyText]


def read_form(stored: dict[str, Any], form: dict[str, str], apps: dict[str, App]) -> FormRead:
    """Apply the posted values of ``form`` to a copy of ``stored`` and return it.

    Inputs the form does not hold keep their stored values, so a form that shows part of the
    document (or an older page) cannot erase the rest.
    """
    document = copy.deepcopy(stored)
    problems: dict[str, LazyText] = {}
    if "document::name" in form:
        document["name"] = form["document::name"].strip()

    trigger = document["trigger"]
    operation = operation_of(apps, trigger["app"], "trigger", trigger["event"])
    _read_connection(trigger, "trigger", form)
    if operation is not None:
        _read_fields(trigger, "trigger", operation, form, problems)

    for location, step in iter_locations(document.get("steps") or []):
        if input_name(location, "name") in form:
            step["name"] = form[input_name(location, "name")].strip() or None
            if step["name"] is None:
                del step["name"]
        kind = step_kind(step)
        if kind in ("action", "search"):
            operation = operation_of(apps, step["app"], kind, step["action"])
            _read_connection(step, location, form)
            if operation is not None:
                _read_fields(step, location, operation, form, problems)
                _read_formats(step, location, operation, form)
        elif kind == "filter":
            _read_conditions(step, location, form)
        elif kind == "path":
            for index, branch in enumerate(step.get("branches") or []):
                prefix = f"{location}::branch[{index}]"
                if f"{prefix}::name" in form:
                    branch["name"] = form[f"{prefix}::name"].strip()
                _read_conditions(branch, prefix, form)
    return FormRead(document, problems)


def _read_connection(step: dict[str, Any], location: str, form: dict[str, str]) -> None:
    name = input_name(location, "connection")
    if name in form:
        if form[name].strip():
            step["connection"] = form[name].strip()
        else:
            step.pop("connection", None)


def _read_fields(step: dict[str, Any], location: str, operation: Operation,
                 form: dict[str, str], problems: dict[str, LazyText]) -> None:
    values: dict[str, Any] = dict(step.get("input") or {})
    for field in operation.fields:
        text_name = input_name(location, "in", field.key)
        mode = form.get(input_name(location, "mode", field.key), MAPPED if not offers_fixed(field) else "")
        picked_prefix = input_name(location, "pick", field.key) + SEPARATOR
        if field.type is FieldType.MULTICHOICE and mode == FIXED:
            picks = [key[len(picked_prefix):] for key, value in form.items()
                     if key.startswith(picked_prefix) and value]
            shown = input_name(location, "shown", field.key) in form
            if picks or shown:
                _set(values, field.key, [_scalar(pick) for pick in picks])
            continue
        fixed_name = input_name(location, "fix", field.key)
        if mode == FIXED and fixed_name in form:
            text_name = fixed_name
        if text_name not in form:
            continue
        text = form[text_name].strip()
        if mode == FIXED and field.type is FieldType.BOOLEAN:
            _set(values, field.key, {"true": True, "false": False}.get(text))
        else:
            _set(values, field.key, _parsed(field, text, text_name, problems))
    step["input"] = values


def _read_formats(step: dict[str, Any], location: str, operation: Operation, form: dict[str, str]) -> None:
    """Rebuild the step's formats: block from the form, without the options at their default.

    Options and fields that the card does not show keep their stored values. An invalid posted
    value is stored as it is, so the document's validation reports it with the valid choices.
    """
    def posted(*parts: str) -> str | None:
        return form.get(input_name(location, "formats", *parts))

    if posted("shown") is None:
        return
    block = dict(step.get("formats") or {})
    offered = format_options(operation)
    date_order = posted("date_order")
    if "date_order" in offered and date_order is not None:
        block["date_order"] = date_order.strip()
    default_language = posted("default_language")
    if "default_language" in offered and default_language is not None:
        block["default_language"] = default_language.strip() or None
    if "province_implies_country" in offered:
        block["province_implies_country"] = bool(posted("province_implies_country"))

    stored_off = block.get("off") or []
    off = [stored_off] if isinstance(stored_off, str) else list(stored_off)
    for field in converted_fields(operation):
        checked = bool(posted("off", field.key))
        if checked and field.key not in off:
            off.append(field.key)
        elif not checked and field.key in off:
            off.remove(field.key)
    block["off"] = off

    changed = {key: value for key, value in block.items() if value != FORMAT_DEFAULTS.get(key)}
    if changed:
        step["formats"] = changed
    else:
        step.pop("formats", None)


def _parsed(field: Field, text: str, name: str, problems: dict[str, LazyText]) -> Any:
    """Return the stored form of a field's text: a number, a list or mapping, or the text."""
    if text == "":
        return None
    if "{{" in text and field.type not in (FieldType.DICT, FieldType.JSON):
        return text
    if field.type in (FieldType.DICT, FieldType.JSON) or (
            field.type is FieldType.MULTICHOICE and text.startswith("[")):
        try:
            return json.loads(text)
        except ValueError as exc:
            problems[name] = _l("This is not valid JSON: {problem}. Write it as in the example, "
                                "such as {example}.", problem=exc.args[0] if exc.args else str(exc),
                                example='{"key": "value"}' if field.type is not FieldType.MULTICHOICE else "[101, 102]")
            return text
    if field.type is FieldType.INTEGER and re.fullmatch(r"-?\d+", text):
        return int(text)
    if field.type is FieldType.MULTICHOICE:
        return [_scalar(part.strip()) for part in text.split(",") if part.strip()]
    return text


def _scalar(text: str) -> Any:
    """Return choice values made of digits (group ids) as numbers, as recipes write them."""
    return int(text) if re.fullmatch(r"\d{1,18}", text) else text


def _set(values: dict[str, Any], key: str, value: Any) -> None:
    if value is None or value == "" or value == []:
        values.pop(key, None)
    else:
        values[key] = value


def _read_conditions(holder: dict[str, Any], prefix: str, form: dict[str, str]) -> None:
    if f"{prefix}::match" in form and form[f"{prefix}::match"] in ("all", "any"):
        holder["match"] = form[f"{prefix}::match"]
    for index, condition in enumerate(holder.get("conditions") or []):
        base = f"{prefix}::cond[{index}]"
        if f"{base}::value" in form:
            condition["value"] = form[f"{base}::value"].strip()
        if f"{base}::operator" in form:
            condition["operator"] = form[f"{base}::operator"]
        if f"{base}::compare_to" in form:
            compare = form[f"{base}::compare_to"].strip()
            if compare:
                condition["compare_to"] = compare
            else:
                condition.pop("compare_to", None)


def new_step_id(document: dict[str, Any], base: str) -> str:
    """Return ``base``, or ``base_2``, ``base_3``… the first id no step of ``document`` has."""
    taken = {step.get("id") for _location, step in iter_locations(document.get("steps") or [])}
    base = re.sub(r"[^a-z0-9_]", "_", base.lower()).strip("_")[:60] or "step"
    if not base[0].isalpha():
        base = f"step_{base}"[:60]
    candidate, number = base, 2
    while candidate in taken or candidate in ("trigger", "trigger_details"):
        candidate, number = f"{base}_{number}", number + 1
    return candidate


def branch_name(index: int) -> str:
    """Return the name given to a new branch: "Path A", "Path B"… in the reader's language."""
    letter = chr(ord("A") + index) if index < 26 else str(index + 1)
    return _("Path {letter}", letter=letter)


def new_step(document: dict[str, Any], choice: str, apps: dict[str, App]) -> dict[str, Any] | None:
    """Return a new step for the editor's "add a step" choice, or None when it is unknown.

    ``choice`` is ``filter``, ``path``, or ``action:<app>.<key>`` / ``search:<app>.<key>``.
    Texts (branch names) are written in the current locale.
    """
    if choice == "filter":
        return {"id": new_step_id(document, "filter"), "type": "filter", "conditions": [dict(NEW_CONDITION)]}
    if choice == "path":
        return {"id": new_step_id(document, "path"), "type": "path",
                "branches": [{"name": branch_name(0), "conditions": [dict(NEW_CONDITION)], "steps": []}],
                "otherwise": []}
    kind, _, target = choice.partition(":")
    app_key, _, key = target.partition(".")
    if kind not in ("action", "search") or operation_of(apps, app_key, kind, key) is None:
        return None
    return {"id": new_step_id(document, key), "type": kind, "app": app_key, "action": key, "input": {}}


def apply_change(document: dict[str, Any], change: str, form: dict[str, str], apps: dict[str, App]) -> bool:
    """Apply one structural change named by the button pressed; return False if it is unknown.

    ``change`` is ``add:<list location>`` (the step chosen in ``add::<list location>``),
    ``remove:<step location>``, ``add_condition:<holder>``, ``remove_condition:<holder>:<i>``,
    ``add_branch:<path location>``, ``remove_branch:<path location>:<j>``, ``up:<location>`` or
    ``down:<location>``. Holders are a filter's location or ``<path location>::branch[<j>]``.
    """
    verb, _, target = change.partition(":")
    try:
        if verb == "add":
            step = new_step(document, form.get(f"add::{target}", ""), apps)
            if step is None:
                return False
            _list_at(document, target).append(step)
        elif verb == "remove":
            parent, index = _split_last(target)
            del _list_at(document, parent)[index]
        elif verb in ("up", "down"):
            parent, index = _split_last(target)
            steps = _list_at(document, parent)
            other = index - 1 if verb == "up" else index + 1
            if not 0 <= other < len(steps):
                return False
            steps[index], steps[other] = steps[other], steps[index]
        elif verb == "add_condition":
            _holder(document, target).setdefault("conditions", []).append(dict(NEW_CONDITION))
        elif verb == "remove_condition":
            holder, _, index = target.rpartition(":")
            conditions = _holder(document, holder)["conditions"]
            if len(conditions) <= 1:
                return False  # a filter or branch keeps at least one condition
            del conditions[int(index)]
        elif verb == "add_branch":
            branches = node_at(document, target)["branches"]
            branches.append({"name": branch_name(len(branches)), "conditions": [dict(NEW_CONDITION)], "steps": []})
        elif verb == "remove_branch":
            location, _, index = target.rpartition(":")
            branches = node_at(document, location)["branches"]
            if len(branches) <= 1:
                return False
            del branches[int(index)]
        else:
            return False
    except (KeyError, IndexError, ValueError, TypeError):
        return False
    return True


def _list_at(document: dict[str, Any], location: str) -> list[Any]:
    """Return the step list at ``location`` (``steps``, ``steps[1].otherwise``…), made if absent."""
    parent, _, key = location.rpartition(".")
    holder = node_at(document, parent) if parent else document
    return holder.setdefault(key, [])


def _split_last(location: str) -> tuple[str, int]:
    """Split ``steps[1].otherwise[2]`` into ``("steps[1].otherwise", 2)``."""
    match = re.match(r"^(?P<parent>.*)\[(?P<index>\d+)\]$", location)
    if match is None:
        raise ValueError(location)
    return match["parent"], int(match["index"])


def _holder(document: dict[str, Any], holder: str) -> dict[str, Any]:
    """Return the filter step or the path branch that ``holder`` names."""
    location, _, branch = holder.partition(SEPARATOR)
    node = node_at(document, location)
    if branch:
        match = _INDEX.match(branch)
        if match is None or match["key"] != "branch":
            raise ValueError(holder)
        node = node["branches"][int(match["index"])]
    return node
