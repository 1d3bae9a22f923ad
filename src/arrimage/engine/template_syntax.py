"""Template syntax errors explained in plain words, in the reader's language.

Jinja's parser reports errors in English and in its own terms ("expected token 'end of print
statement'"). :func:`syntax_error_message` turns one error into what is wrong, how to fix it and
the offending text, cut to :data:`EXCERPT_MAX_CHARACTERS`. It recognizes unclosed delimiters
(``{{``, ``{%``, ``{#``), blocks, brackets and quotes. It also recognizes a stray brace, an end
tag without its block, an unknown tag, filter or test, an incomplete expression or tag, and a
character that expressions cannot contain. Any other error gets a general checklist.

:func:`extra_closing_brace` finds ``{{ x }}}``, which Jinja accepts (it outputs the last ``}``
as text) but which is almost always a typo.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from jinja2 import TemplateSyntaxError
from jinja2.environment import Environment

from arrimage.i18n import LazyText, _l

EXCERPT_MAX_CHARACTERS = 60
# Lexes templates for extra_closing_brace, with Jinja's default syntax, which the renderer uses too.
_LEXER = Environment()

_DELIMITERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
_BRACKETS = {")": "(", "]": "[", "}": "{"}
# Jinja's block tags that a misspelled tag is compared with.
_KNOWN_TAGS = ["if", "elif", "else", "endif", "for", "endfor", "set", "endset", "raw", "endraw",
               "filter", "endfilter"]
# Tags that belong inside a block, and the tag that opens that block.
_OPENING_TAGS = {"else": "if", "elif": "if"}
_TAG_EXAMPLES = {
    "if": "{% if trigger.email %}",
    "elif": "{% elif trigger.email %}",
    "for": "{% for item in trigger.items %}",
    "set": "{% set email = trigger.email %}",
}

# Jinja 3.1's parser messages. A message that none matches gets the general checklist.
_INNERMOST_BLOCK = re.compile(r"The innermost block that needs to be closed is '(?P<tag>\w+)'")
_UNKNOWN_TAG = re.compile(r"^Encountered unknown tag '(?P<tag>\w+)'")
_UNEXPECTED_CHARACTER = re.compile(r"""^unexpected char (?P<quote>['"])(?P<character>.)(?P=quote) at (?P<position>\d+)""")
_UNCLOSED_BRACKET = re.compile(r"^unexpected '(?P<found>[^']+)', expected '(?P<expected>[)\]}])'")
_STRAY_CLOSING = re.compile(r"^unexpected '(?P<character>[)\]}])'$")
_UNEXPECTED_TOKEN = re.compile(r"^expected token 'end of (?:print statement|statement block)', got '(?P<found>[^']*)'")
_UNKNOWN_FILTER = re.compile(r"^No filter named '(?P<name>[^']+)'")
_UNKNOWN_TEST = re.compile(r"^No test named '(?P<name>[^']+)'")
_EMPTY_EXPRESSION = re.compile(r"\{\{-?\s*-?\}\}")
_TAG_NAME = re.compile(r"\{%-?\s*(?P<tag>\w+)")


@dataclass(frozen=True)
class _Explanation:
    problem: LazyText
    fix: LazyText
    # Offset in the template of the text the problem is about, when known.
    position: int | None = None


def syntax_error_message(template: str, error: TemplateSyntaxError | None,
                         filters: list[str] | None = None, tests: list[str] | None = None) -> LazyText:
    """Return what is wrong in ``template`` and how to fix it, with the offending text.

    ``error`` is Jinja's error, or None for an extra ``}`` that Jinja accepts (see
    :func:`extra_closing_brace`). ``filters`` and ``tests`` are the names that the environment
    defines, for suggesting the closest one to an unknown name.
    """
    if error is None:
        explanation = _Explanation(
            _l("there is an extra “{character}” after “{closing}”", character="}", closing="}}"),
            _l("Remove the extra “{character}”.", character="}"), extra_closing_brace(template))
    else:
        explanation = _explain(template, error, filters or [], tests or [])

    line_number, line_text, position = _line_of(template, explanation.position, error)
    excerpt = _excerpt(line_text, position)
    if template.count("\n"):
        return _l("The template “{template}” is invalid on line {line}: {problem}. {fix}",
                  template=excerpt, line=line_number, problem=explanation.problem, fix=explanation.fix)
    return _l("The template “{template}” is invalid: {problem}. {fix}",
              template=excerpt, problem=explanation.problem, fix=explanation.fix)


def extra_closing_brace(template: str, environment: Environment | None = None) -> int | None:
    """Return the offset of a ``}`` that directly follows ``}}`` or ``%}`` and closes nothing.

    Braces of the literal text are counted, so the last ``}`` of a JSON text such as
    ``{"email": {{ trigger.email | tojson }}}`` closes its ``{`` and is not reported. Text inside
    ``{% raw %}`` is ignored.
    """
    lexer = (environment or _LEXER).lex(template)
    depth = 0
    offset = 0
    previous = ""
    for _line, token, value in lexer:
        if token == "data" and previous != "raw_begin":
            if previous in ("variable_end", "block_end") and value.startswith("}") and depth == 0:
                return offset
            depth = max(0, depth + value.count("{") - value.count("}"))
        offset += len(value)
        previous = token
    return None


def _explain(template: str, error: TemplateSyntaxError, filters: list[str], tests: list[str]) -> _Explanation:
    unclosed = _unclosed_delimiter(template)
    if unclosed is not None:
        return unclosed

    message = error.message or ""
    for explain in (_explain_block, _explain_character, _explain_bracket, _explain_expression):
        explanation = explain(template, message)
        if explanation is not None:
            return explanation

    unknown_filter = _UNKNOWN_FILTER.match(message)
    if unknown_filter:
        return _Explanation(_l("there is no filter named “{name}”", name=unknown_filter["name"]),
                            _spelling_fix(unknown_filter["name"], filters))
    unknown_test = _UNKNOWN_TEST.match(message)
    if unknown_test:
        return _Explanation(_l("there is no test named “{name}”", name=unknown_test["name"]),
                            _spelling_fix(unknown_test["name"], tests))
    return _Explanation(_l("its syntax is not valid"), _l(
        "Check that each “{value_opening}” ends with “{value_closing}”, each “{tag_opening}” with "
        "“{tag_closing}”, and that every quote, parenthesis and bracket is closed.",
        value_opening="{{", value_closing="}}", tag_opening="{%", tag_closing="%}"))


def _unclosed_delimiter(template: str) -> _Explanation | None:
    """Explain the first ``{{``, ``{%`` or ``{#`` that has no closing delimiter after it."""
    start = 0
    while True:
        found = [(index, opening) for opening in _DELIMITERS if (index := template.find(opening, start)) >= 0]
        if not found:
            return None
        index, opening = min(found)
        closing = _DELIMITERS[opening]
        end = template.find(closing, index + 2)
        if opening != "{#":
            # A new tag before the closing delimiter means this one was left open.
            nested = [position for other in ("{{", "{%") if (position := template.find(other, index + 2)) >= 0]
            if nested and (end < 0 or min(nested) < end):
                end = -1
        if end < 0:
            return _Explanation(
                _l("a “{opening}” is not closed by “{closing}”", opening=opening, closing=closing),
                _closing_fix(template, index, opening, closing), index)
        start = end + 2


def _closing_fix(template: str, index: int, opening: str, closing: str) -> LazyText:
    """Return the fix for an unclosed delimiter, with the corrected text as example when it is short."""
    rest = template[index + 2:]
    for other in ("{{", "{%", "\n"):
        cut = rest.find(other)
        if cut >= 0:
            rest = rest[:cut]
    inside = rest.strip().rstrip("}%#").strip()
    if opening == "{%" and inside in _TAG_EXAMPLES:
        return _l("Add “{closing}” at its end, as in “{example}”.", closing=closing, example=_TAG_EXAMPLES[inside])
    if inside and len(inside) <= 40:
        return _l("Add “{closing}” at its end, as in “{example}”.", closing=closing,
                  example=f"{opening} {inside} {closing}")
    return _l("Add “{closing}” at its end.", closing=closing)


def _explain_block(template: str, message: str) -> _Explanation | None:
    """Explain an unclosed block, an end tag without its block, an unknown or incomplete tag."""
    innermost = _INNERMOST_BLOCK.search(message)
    unknown = _UNKNOWN_TAG.match(message)
    if unknown is not None:
        return _explain_unknown_tag(template, unknown["tag"], innermost["tag"] if innermost else None)
    if innermost and message.startswith("Unexpected end of template"):
        block = innermost["tag"]
        return _Explanation(_l("the “{tag}” block is not closed", tag=f"{{% {block} %}}"),
                            _l("Add “{end_tag}” where the block ends.", end_tag=f"{{% end{block} %}}"),
                            _tag_position(template, block))
    if message.startswith(("Expected an expression, got 'end of statement block'", "expected token 'in'")):
        return _explain_incomplete_tag(template)
    return None


def _explain_unknown_tag(template: str, tag: str, open_block: str | None) -> _Explanation:
    """Explain a tag that Jinja does not expect: an end tag or ``else`` out of place, or a typo."""
    found_tag = f"{{% {tag} %}}"
    position = _tag_position(template, tag)
    opening_tag = _OPENING_TAGS.get(tag) or (tag[3:] if tag.startswith("end") else None)
    if opening_tag and open_block:
        block = f"{{% {open_block} %}}"
        return _Explanation(
            _l("“{found}” does not belong to the open “{block}” block", found=found_tag, block=block),
            _l("Close the “{block}” block with “{end_tag}” first, or remove “{found}”.",
               block=block, end_tag=f"{{% end{open_block} %}}", found=found_tag), position)
    if opening_tag:
        opening = f"{{% {opening_tag} … %}}"
        return _Explanation(_l("“{found}” has no “{opening}” before it", found=found_tag, opening=opening),
                            _l("Remove it, or add the “{opening}” that it belongs to before it.", opening=opening),
                            position)
    return _Explanation(_l("“{found}” is not a known tag", found=found_tag),
                        _spelling_fix(tag, _KNOWN_TAGS, example="{{% {name} %}}"), position)


def _explain_incomplete_tag(template: str) -> _Explanation:
    """Explain a tag that lacks its condition or its loop, such as ``{% if %}``."""
    tag_match = _TAG_NAME.search(template)
    tag = tag_match["tag"] if tag_match else "if"
    position = tag_match.start() if tag_match else None
    problem = _l("the tag “{tag}” is incomplete", tag=f"{{% {tag} %}}")
    example = _TAG_EXAMPLES.get(tag)
    if example is None:
        return _Explanation(problem, _l("Complete it, or remove it."), position)
    return _Explanation(problem, _l("Complete it, as in “{example}”.", example=example), position)


def _explain_character(template: str, message: str) -> _Explanation | None:
    """Explain an unclosed quote, or a character that an expression cannot contain."""
    unexpected = _UNEXPECTED_CHARACTER.match(message)
    if unexpected is None:
        return None
    character = unexpected["character"]
    position = int(unexpected["position"])
    if character in "'\"":
        return _Explanation(_l("a text in quotes has no closing “{quote}”", quote=character),
                            _l("Add “{quote}” at the end of the text.", quote=character), position)
    return _Explanation(
        _l("the character “{character}” cannot be used there", character=character),
        _l("To read a key that contains it, write the key in brackets and quotes, as in “{example}”.",
           example=f"trigger['key{character}name']"), position)


def _explain_bracket(template: str, message: str) -> _Explanation | None:
    """Explain a bracket or parenthesis left open, a stray closing one, or a doubled ``{``."""
    unclosed = _UNCLOSED_BRACKET.match(message)
    if unclosed:
        closing = unclosed["expected"]
        return _Explanation(_l("a “{opening}” is not closed by “{closing}”", opening=_BRACKETS[closing], closing=closing),
                            _l("Add the missing “{closing}”.", closing=closing))
    stray = _STRAY_CLOSING.match(message)
    if stray:
        character = stray["character"]
        if character == "}":
            return _Explanation(_l("unexpected “{character}”", character=character),
                                _l("Remove it: a value ends with “{closing}”.", closing="}}"),
                                _stray_brace(template))
        return _Explanation(_l("unexpected “{character}”", character=character),
                            _l("Remove it, or add the “{opening}” that it closes.", opening=_BRACKETS[character]))
    if message.startswith("expected token ':'") and "{{{" in template:
        return _Explanation(_l("there is an extra “{character}” before “{opening}”", character="{", opening="{{"),
                            _l("Remove the extra “{character}”.", character="{"), template.find("{{{"))
    return None


def _explain_expression(template: str, message: str) -> _Explanation | None:
    """Explain an empty or incomplete expression, a missing name after a dot, a stray word."""
    if message.startswith("Expected an expression, got 'end of print statement'"):
        empty = _EMPTY_EXPRESSION.search(template)
        if empty:
            return _Explanation(_l("nothing is written between “{opening}” and “{closing}”", opening="{{", closing="}}"),
                                _l("Write the name of a value there, as in “{example}”, or remove them.",
                                   example="{{ trigger.email }}"), empty.start())
    if message.startswith(("Expected an expression, got 'end of print statement'",
                           "unexpected 'end of print statement'",
                           "expected token 'name', got 'end of print statement'",
                           "unexpected 'end of statement block'")):
        return _Explanation(_l("the expression stops before it is complete"),
                            _l("Complete it, or remove the operator or “|” that ends it."))
    if message.startswith("expected name or number"):
        return _Explanation(_l("a name is missing after a dot"),
                            _l("Write the key after the dot, or remove the extra dot, as in “{example}”.",
                               example="trigger.email"))
    unexpected = _UNEXPECTED_TOKEN.match(message)
    if unexpected and unexpected["found"] == "=":
        return _Explanation(_l("a single “=” cannot compare two values"),
                            _l("Write “==” to compare, as in “{example}”.",
                               example="{% if trigger.province == 'QC' %}"))
    if unexpected:
        return _Explanation(_l("“{found}” is not expected there", found=unexpected["found"]),
                            _l("Check for a missing dot, operator or quote before it."),
                            template.find(unexpected["found"]))
    return None


def _spelling_fix(name: str, known: list[str], example: str = "{name}") -> LazyText:
    """Return "did you mean" with the closest known name, else a request to check the spelling."""
    guesses = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if guesses:
        return _l("Check its spelling: did you mean “{guess}”?", guess=example.format(name=guesses[0]))
    return _l("Check its spelling.")


def _tag_position(template: str, tag: str) -> int | None:
    match = re.search(r"\{%-?\s*" + re.escape(tag) + r"\b", template)
    return match.start() if match else None


def _stray_brace(template: str) -> int | None:
    """Return the offset of a single ``}`` that is not part of a ``}}`` or ``%}``."""
    match = re.search(r"(?<![}%])}(?!})", template)
    return match.start() if match else None


def _line_of(template: str, position: int | None, error: TemplateSyntaxError | None) -> tuple[int, str, int | None]:
    """Return the line number and text that contain the problem, and its offset in that line."""
    lines = template.split("\n")
    if position is not None and 0 <= position <= len(template):
        line_index = template.count("\n", 0, position)
        line_start = template.rfind("\n", 0, position) + 1
        return line_index + 1, lines[line_index], position - line_start
    line_number = error.lineno if error is not None and error.lineno else 1
    line_number = min(max(line_number, 1), len(lines))
    return line_number, lines[line_number - 1], None


def _excerpt(text: str, position: int | None) -> str:
    """Return ``text`` cut to :data:`EXCERPT_MAX_CHARACTERS`, keeping ``position`` in view."""
    text = text.strip() if position is None else text
    if len(text) <= EXCERPT_MAX_CHARACTERS:
        return text.strip()
    start = 0
    if position is not None and position > EXCERPT_MAX_CHARACTERS - 20:
        start = min(position - 20, len(text) - EXCERPT_MAX_CHARACTERS)
    end = start + EXCERPT_MAX_CHARACTERS
    excerpt = text[start:end].strip()
    if start > 0:
        excerpt = "…" + excerpt
    if end < len(text):
        excerpt += "…"
    return excerpt
