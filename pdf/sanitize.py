"""Remove a PDF's active content: JavaScript, launch actions and embedded files.

A scan needs none of it, and each is a way for a PDF to run code or carry a payload (a script, an
executable) through OCR into someone's viewer, so `ocrgate pdf` removes it by default. One walk
over every object reachable from the catalog (each indirect object once) removes:

- actions that run JavaScript (`/S /JavaScript`, or any action with a `/JS` script) or launch a
  program (`/S /Launch`), in every action slot: the document's `/OpenAction`, `/A` of links,
  fields and outline items, and the `/Next` chains of the actions that stay;
- additional actions (`/AA`) of the catalog, pages, annotations and form fields, whatever they do:
  they fire on their own (page open, mouse over, keystroke, print);
- the document's scripts and attachments (`/Names` `/JavaScript` and `/EmbeddedFiles`),
  `FileAttachment` annotations, and the embedded file (`/EF`) of every file specification left;
- an XFA form (`/AcroForm` `/XFA`), whose XML carries scripts of its own; the form's fields stay.

The saved file holds only what is reachable, so nothing removed survives in it.
"""

from __future__ import annotations

from collections import Counter

import pikepdf

JAVASCRIPT, LAUNCH, TRIGGERED = "JavaScript action", "launch action", "other additional action"
EMBEDDED_FILE, ATTACHMENT, XFA = "embedded file", "file attachment annotation", "XFA form"
#: the order kinds are reported in
KINDS = (JAVASCRIPT, LAUNCH, TRIGGERED, EMBEDDED_FILE, ATTACHMENT, XFA)
#: keys whose value is an action wherever they appear
_ACTION_KEYS = ("/A", "/OpenAction")


def remove_active_content(pdf: pikepdf.Pdf) -> Counter[str]:
    """Remove the active content from `pdf` in place; how many of each kind were removed."""
    removed: Counter[str] = Counter()
    names = pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        for key, kind in (("/JavaScript", JAVASCRIPT), ("/EmbeddedFiles", EMBEDDED_FILE)):
            if key in names:
                removed[kind] += _name_count(names[key])
                del names[key]
    form = pdf.Root.get("/AcroForm")
    if isinstance(form, pikepdf.Dictionary) and "/XFA" in form:
        removed[XFA] += 1
        del form["/XFA"]
    seen: set[tuple[int, int]] = set()
    pending: list[pikepdf.Object] = [pdf.Root]
    while pending:
        node = pending.pop()
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        if isinstance(node, pikepdf.Array):
            pending.extend(item for item in node if _is_container(item))
            continue
        _clean(node, removed)
        pending.extend(value for key, value in node.items() if key != "/Parent" and _is_container(value))
    return removed


def describe(removed: Counter[str]) -> str:
    """`removed` in words: '2 JavaScript actions, 1 embedded file'."""
    return ", ".join(f"{removed[kind]} {kind}{'' if removed[kind] == 1 else 's'}" for kind in KINDS if removed[kind])


def _is_container(value: pikepdf.Object) -> bool:
    return isinstance(value, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream))


def _active_kind(action: pikepdf.Object) -> str | None:
    """JAVASCRIPT or LAUNCH for an action that runs code, else None."""
    if not isinstance(action, pikepdf.Dictionary):
        return None  # a destination, not an action
    if action.get("/S") == pikepdf.Name.JavaScript or "/JS" in action:
        return JAVASCRIPT
    if action.get("/S") == pikepdf.Name.Launch:
        return LAUNCH
    return None


def _clean(node: pikepdf.Object, removed: Counter[str]) -> None:
    """Remove the active content `node` itself holds (its children are visited by the walk)."""
    if "/AA" in node:
        triggers = node["/AA"]
        if isinstance(triggers, pikepdf.Dictionary):
            removed.update(_active_kind(action) or TRIGGERED for action in triggers.values())
        del node["/AA"]
    for key in (*_ACTION_KEYS, *(("/Next",) if "/S" in node else ())):
        if key in node:
            _clean_action_slot(node, key, removed)
    if "/EF" in node:
        removed[EMBEDDED_FILE] += 1
        del node["/EF"]
    if isinstance(node.get("/Annots"), pikepdf.Array):
        _drop_attachments(node, removed)


def _clean_action_slot(node: pikepdf.Object, key: str, removed: Counter[str]) -> None:
    """An action, or for `/Next` an array of actions: active ones go (with the chain they start)."""
    value = node[key]
    if isinstance(value, pikepdf.Array):
        kinds = [_active_kind(action) for action in value]
        removed.update(kind for kind in kinds if kind)
        node[key] = pikepdf.Array([action for action, kind in zip(value, kinds, strict=True) if not kind])
        return
    kind = _active_kind(value)
    if kind:
        removed[kind] += 1
        del node[key]


def _drop_attachments(node: pikepdf.Object, removed: Counter[str]) -> None:
    annotations = list(node.Annots)
    kept = [
        a
        for a in annotations
        if not (isinstance(a, pikepdf.Dictionary) and a.get("/Subtype") == pikepdf.Name.FileAttachment)
    ]
    if len(kept) != len(annotations):
        removed[ATTACHMENT] += len(annotations) - len(kept)
        node.Annots = pikepdf.Array(kept)


def _name_count(tree: pikepdf.Object) -> int:
    try:
        return len(pikepdf.NameTree(tree))
    except (TypeError, ValueError, pikepdf.PdfError):
        return 1  # a malformed tree: removed all the same, counted as one
