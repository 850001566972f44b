"""The lists an imported JSON record holds, for contacts and companies alike: texts (tags,
interests), labelled details and notes, each checked for its shape. A text where a list
belongs is refused, not read letter by letter."""

from __future__ import annotations

from crmcli.errors import InvalidInput
from crmcli.models import Detail


def texts(values: object, name: str) -> list[str]:
    """A list of texts (null or empty: none)."""
    if not values:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidInput(f"{name} must be a list of texts")
    return values


def details(values: object, name: str) -> list[Detail]:
    """Emails, phones, addresses or URLs: texts, or ``{"value", "label"}`` objects whose
    value and label (when given) are texts."""
    if not values:
        return []
    if not isinstance(values, list):
        raise InvalidInput(f"{name} must be a list")
    found = []
    for value in values:
        if isinstance(value, str):
            found.append(Detail(value))
        elif (isinstance(value, dict) and isinstance(value.get("value"), str)
              and isinstance(value.get("label") or "", str)):
            found.append(Detail(value["value"], value.get("label") or ""))
        else:
            raise InvalidInput(f"{name} must hold texts or {{\"value\", \"label\"}} objects "
                               "(both texts)")
    return found


def notes(values: object) -> list[str]:
    """The texts of notes: texts, or ``{"body": TEXT}`` objects as crm exports them."""
    if not values:
        return []
    bodies = ([value.get("body") if isinstance(value, dict) else value for value in values]
              if isinstance(values, list) else None)
    if bodies is None or not all(isinstance(body, str) for body in bodies):
        raise InvalidInput('notes must be a list of texts or {"body": TEXT} objects')
    return bodies
