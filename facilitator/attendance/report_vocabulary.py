"""The words of video-call reports: column names, actions and section titles, per layout and language.

Every name here was seen in a real report or in public code written against real reports (the README's
"Video-call reports" section says which); a language without a sample is left out rather than guessed.
Names are compared after :func:`normalise_header`, so case, accents, spacing and the typographic
apostrophe that some exports use (``Heure d’arrivée``) do not matter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

ZOOM = "zoom"
TEAMS = "teams"

ENGLISH = "en"
LANGUAGE_NAMES = {"en": "English", "fr": "French", "es": "Spanish", "pt": "Portuguese", "de": "German"}

# The languages whose regional formats write the day first. English is not one: reports in English
# come from the United States (month first) and from everywhere else (day first).
DAY_FIRST_LANGUAGES = frozenset({"fr", "es", "pt", "de"})

NAME, EMAIL, JOIN, LEAVE, ACTION, TIME, ROLE, OTHER = (
    "name",
    "email",
    "join",
    "leave",
    "action",
    "time",
    "role",
    "other",
)

Names = Mapping[str, Sequence[str]]  # language → column names as the service writes them


def normalise_header(cell: str) -> str:
    """``"  Heure d’ARRIVÉE "`` → ``"heure d'arrivee"``: how a column name is compared."""
    decomposed = unicodedata.normalize("NFKD", cell.replace("\u2019", "'").replace("\u2018", "'"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


@dataclass(frozen=True)
class Column:
    """One way a layout's reports name a column: what the column holds (``role``), and in which language."""

    role: str
    language: str
    title: str  # as the service writes it, for messages


@dataclass(frozen=True)
class Layout:
    """One kind of report (Zoom's participants report, a section of a Teams report): the columns it must
    have, every name they go by, and whether a row is a span in the call or one action."""

    name: str
    source: str  # ZOOM or TEAMS
    required: tuple[str, ...]
    index: dict[str, Column]  # normalised column name → what it is
    languages: dict[str, frozenset[str]]  # normalised column name → the languages that write it
    marks: frozenset[str] = field(default_factory=frozenset)  # one of these must be in the header, if any
    intervals: bool = True  # False: one row per action (joined, left)

    def titles(self, role: str) -> list[str]:
        """Every way this layout's reports write the column, English first."""
        return [c.title for c in sorted(self.index.values(), key=lambda c: c.language != ENGLISH) if c.role == role]


def _layout(
    name: str,
    source: str,
    columns: Mapping[str, Names],
    required: tuple[str, ...],
    *,
    marks: Iterable[str] = (),
    intervals: bool = True,
) -> Layout:
    index: dict[str, Column] = {}
    languages: dict[str, frozenset[str]] = {}
    for role, by_language in columns.items():
        for language, titles in by_language.items():
            for title in titles:
                key = normalise_header(title)
                index.setdefault(key, Column(role, language, title))
                languages[key] = languages.get(key, frozenset()) | {language}
    return Layout(name, source, required, index, languages, frozenset(normalise_header(m) for m in marks), intervals)


# -- Zoom: Reports → Usage → Participants → Export ------------------------------------------------------

_ZOOM_NAME: Names = {
    "en": ("Name (Original Name)", "Name", "User Name", "Participant"),
    "fr": ("Nom (nom original)",),
    "es": ("Nombre (nombre original)",),
    "pt": ("Nome (nome original)",),
    "de": ("Name (ursprünglicher Name)",),
}
_ZOOM_EMAIL: Names = {
    "en": ("User Email", "Email", "E-mail"),
    "fr": ("Adresse e-mail de l’utilisateur",),
    "es": ("E-mail del usuario", "Correo electrónico"),
    "de": ("E-Mail",),
}
_ZOOM_OTHER: Names = {
    "en": ("Duration (Minutes)", "Guest", "Recording Consent", "In Waiting Room"),
    "fr": ("Durée (minutes)", "Invité", "Salle d’attente", "Dans la salle d’attente"),
    "es": ("Duración (minutos)", "Invitado", "En sala de espera"),
    "pt": ("Duração (minutos)", "Convidado", "Na sala de espera"),
    "de": ("Dauer (Minuten)",),
}
ZOOM_PARTICIPANTS = _layout(
    "Zoom participants report",
    ZOOM,
    {
        NAME: _ZOOM_NAME,
        EMAIL: _ZOOM_EMAIL,
        JOIN: {
            "en": ("Join Time",),
            "fr": ("Heure d’arrivée", "Heure de connexion"),
            "es": ("Hora para unirse", "Hora de entrada"),
            "pt": ("Ingressar na hora",),
            "de": ("Beitrittszeit",),
        },
        LEAVE: {
            "en": ("Leave Time",),
            "fr": ("Heure de départ", "Heure de déconnexion"),
            "es": ("Hora para salir", "Hora de salida"),
            "pt": ("Hora de saída",),
            "de": ("Austrittszeit",),
        },
        OTHER: _ZOOM_OTHER,
    },
    (NAME, JOIN, LEAVE),
    # Teams' reports have none of these: a header with one of them is Zoom's, whatever else it shares.
    marks=[t for n in (_ZOOM_OTHER, _ZOOM_NAME) for ts in n.values() for t in ts if t not in ("Name", "Participant")]
    + ["User Email", "Adresse e-mail de l’utilisateur", "E-mail del usuario"],
)
# The "unique users" export: one total per person, so no intervals to record.
ZOOM_TOTALS = frozenset(normalise_header(t) for t in ("Total Duration (Minutes)", "Duración total (minutos)"))

# -- Teams: the attendance report (sections) and the older attendance list -----------------------------

_TEAMS_EMAIL: Names = {
    "en": ("Email", "E-mail", "Participant ID (UPN)"),
    "fr": ("E-mail",),
    "pt": ("Email", "ID do participante (UPN)"),
    "de": ("E-Mail",),
}
_TEAMS_OTHER: Names = {
    "en": ("Duration", "In-Meeting Duration", "Role"),
    "fr": ("Durée", "Rôle"),
    "pt": ("Duração", "Função"),
}
TEAMS_ACTIVITIES = _layout(
    "Teams attendance report (in-meeting activities)",
    TEAMS,
    {
        NAME: {"en": ("Name", "Full Name"), "fr": ("Nom complet",), "pt": ("Nome Completo",)},
        EMAIL: _TEAMS_EMAIL,
        JOIN: {"en": ("Join Time",), "fr": ("Heure d'arrivée",), "pt": ("Horário de Entrada",)},
        LEAVE: {"en": ("Leave Time",), "fr": ("Heure de départ",), "pt": ("Horário de Saída",)},
        ROLE: {"en": ("Role",), "fr": ("Rôle",), "pt": ("Função",)},
        OTHER: _TEAMS_OTHER,
    },
    (NAME, JOIN, LEAVE),
)
TEAMS_PARTICIPANTS = _layout(
    "Teams attendance report (participants)",
    TEAMS,
    {
        NAME: {"en": ("Name",)},
        EMAIL: _TEAMS_EMAIL,
        JOIN: {"en": ("First Join",), "de": ("Erster Beitritt",)},
        LEAVE: {"en": ("Last Leave",), "de": ("Letztes Verlassen",)},
        ROLE: {"en": ("Role",)},
        OTHER: _TEAMS_OTHER,
    },
    (NAME, JOIN, LEAVE),
)
TEAMS_ACTIONS = _layout(
    "Teams attendance list (joined/left actions)",
    TEAMS,
    {
        NAME: {"en": ("Full Name",), "fr": ("Nom complet",)},
        ACTION: {"en": ("User Action",), "fr": ("Action de l’utilisateur",)},
        TIME: {"en": ("Timestamp",), "fr": ("Date et heure",)},
    },
    (NAME, ACTION, TIME),
    intervals=False,
)

# Zoom first: it is told apart by its marks, and Teams' in-meeting activities share its column names.
LAYOUTS = (ZOOM_PARTICIPANTS, TEAMS_ACTIVITIES, TEAMS_PARTICIPANTS, TEAMS_ACTIONS)

# Teams' Role column: the summary names the role of an unmatched person unless it is an attendee's.
ATTENDEE_WORDS = frozenset(normalise_header(w) for w in ("Attendee", "Participant"))

JOINED_WORDS = {"en": ("Joined", "Joined before"), "fr": ("Rejoint",)}
LEFT_WORDS = {"en": ("Left",), "fr": ("A quitté l'appel",)}
_JOINED = frozenset(normalise_header(w) for ws in JOINED_WORDS.values() for w in ws)
_LEFT = frozenset(normalise_header(w) for ws in LEFT_WORDS.values() for w in ws)


def action_of(cell: str) -> str | None:
    """``"joined"`` or ``"left"`` for an action of the older Teams list, else None."""
    key = normalise_header(cell)
    if key in _JOINED:
        return "joined"
    if key in _LEFT:
        return "left"
    return None


def action_words() -> str:
    return ", ".join(w for ws in (*JOINED_WORDS.values(), *LEFT_WORDS.values()) for w in ws)


# "1. Summary", "2. Participants", "3. In-Meeting activities", in any language: a number, a dot, a title.
SECTION_TITLE = re.compile(r"^\s*\d+\.\s+\D")


def is_section_title(cells: Sequence[str]) -> bool:
    filled = [c for c in cells if c.strip()]
    return len(filled) == 1 and cells[0].strip() == filled[0].strip() and bool(SECTION_TITLE.match(filled[0]))


def match_header(cells: Sequence[str], layout: Layout) -> dict[str, int] | None:
    """Column index of each role when ``cells`` is a header row of ``layout``, else None."""
    keys = [normalise_header(c) for c in cells]
    if layout.marks and not layout.marks.intersection(keys):
        return None
    found: dict[str, int] = {}
    for index, key in enumerate(keys):
        column = layout.index.get(key)
        if column is not None and column.role not in found:
            found[column.role] = index
    return found if all(role in found for role in layout.required) else None


def header_language(cells: Sequence[str], layout: Layout) -> str | None:
    """The one language the header's column names are in, if they say; English when only English."""
    languages: set[str] = set()
    for cell in cells:
        written_in = layout.languages.get(normalise_header(cell), frozenset())
        if len(written_in) == 1:  # a name several languages share ("E-mail", "Name") says nothing
            languages |= written_in
    foreign = languages - {ENGLISH}
    if len(foreign) == 1:
        return foreign.pop()
    return ENGLISH if languages == {ENGLISH} else None


def known_title(cell: str) -> bool:
    """Whether ``cell`` is a column name of some layout: only those are ever quoted in a message."""
    key = normalise_header(cell)
    return any(key in layout.index for layout in LAYOUTS) or key in ZOOM_TOTALS
