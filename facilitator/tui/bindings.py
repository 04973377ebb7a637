"""Every key of the app, in one place: what each does, its id, and where it works.

Each screen, modal and widget takes its ``BINDINGS`` from here, so a newcomer finds every key in this file,
and the help screen and the config file's ``[keys]`` table read the same lists. A binding's ``id`` is what a
user remaps (Textual's keymap support, :meth:`textual.app.App.set_keymap`); ids are unique within a group.
Plain data: this module imports nothing of the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from textual.binding import Binding

# The lead's main screen; the app binds them, so they work on every screen the app shows without a binding
# of its own. Over SSH, shift+'+' and '+' arrive as the same key, so five-minute changes have keys of their own.
MAIN: Final[tuple[Binding, ...]] = (
    Binding("n,right", "next_step", "Next", id="next", tooltip="Enter the next step of the day"),
    Binding("p,left", "previous_step", "Prev", id="previous", tooltip="Go back to the previous step"),
    Binding("space", "toggle_pause", "Pause", id="pause", tooltip="Pause or resume the step's timer"),
    Binding("plus,equals_sign", "adjust(60)", "+1m", id="extend", tooltip="Give the current step one more minute"),
    Binding("minus", "adjust(-60)", "-1m", id="shorten", tooltip="Take a minute off the current step"),
    Binding(
        "right_square_bracket",
        "adjust(300)",
        "+5m",
        id="extend-five",
        show=False,
        tooltip="Give the current step five more minutes",
    ),
    Binding(
        "left_square_bracket,underscore",
        "adjust(-300)",
        "-5m",
        id="shorten-five",
        show=False,
        tooltip="Take five minutes off the current step",
    ),
    # The room's questions at hand (the current step's, and the course evaluation while it is open): the
    # driver's keys, as they change what the room sees. With several questions, each asks which one.
    Binding(
        "v",
        "reveal_results",
        "Results",
        id="reveal-results",
        tooltip="Show a question's results to the room (room view and phones), or hide them again",
    ),
    Binding(
        "x",
        "close_question",
        "Close question",
        id="close-question",
        tooltip="Close a question now: it takes no more answers (asks first, saying how many answered)",
    ),
    Binding(
        "a",
        "attendance",
        "Attendance",
        id="attendance",
        tooltip="Who is present at each location: check people in, mark late or excused, add walk-ins",
    ),
    Binding("g", "jump", "Jump", id="jump", tooltip="Find any step, on any day, by name and enter it"),
    Binding("d", "change_day", "Day", id="day", tooltip="Open another day of the workshop"),
    Binding("r", "log_reflection", "Reflect", id="reflect", tooltip="Log a reflection against the current step"),
    Binding(
        "R",
        "show_reflections",
        "Reflections",
        id="reflections",
        show=False,
        tooltip="List, filter, edit and retract reflections",
    ),
    Binding(
        "b",
        "toggle_bell",
        "Bell",
        id="bell",
        show=False,
        tooltip="Ring the terminal bell when a step's time runs out",
    ),
    Binding("q", "show_qr", "QR", id="qr", tooltip="Show the participant page's QR code for a location"),
    # Breakout groups (facilitator.groups): the driver makes them; everyone sees them.
    Binding(
        "B",
        "make_groups",
        "Make groups",
        id="make-groups",
        show=False,
        tooltip="Make breakout groups of the people checked in now: size or count, what to mix, calls, duration",
    ),
    Binding(
        "G",
        "groups",
        "Groups",
        id="groups",
        show=False,
        tooltip="The breakout groups: who is in which, their calls, time left, who is in none",
    ),
    # Who speaks (facilitator.speaking): any facilitator keeps the tally; the driver shows it to the room.
    Binding(
        "s",
        "pick_speaker",
        "Speaker",
        id="pick-speaker",
        show=False,
        tooltip="Who has the floor: type a few letters of a name, enter counts a turn and starts their clock",
    ),
    Binding(
        "full_stop",
        "stop_speaker",
        "Stop speaker",
        id="stop-speaker",
        show=False,
        tooltip="Stop the speaker's clock: nobody has the floor",
    ),
    Binding(
        "S",
        "speaking",
        "Who speaks",
        id="speaking",
        show=False,
        tooltip="Who speaks, in full: turns and speaking time by gender and location against who is present",
    ),
    Binding(
        "J",
        "join_requests",
        "Requests",
        id="join-requests",
        show=False,
        tooltip="People asking from the participant page to be added to the roster: approve or decline",
    ),
    # The team (facilitator.team.roles): asking for and handing over control, notes to the driver, who is here.
    Binding("c", "ask_control", "Ask control", id="ask-control", tooltip="Ask the driver for control"),
    Binding("h", "hand_control", "Hand over", id="hand-control", tooltip="Hand control to another facilitator"),
    Binding(
        "T",
        "take_control",
        "Take control",
        id="take-control",
        show=False,
        tooltip="Take control when the driver's process has gone (asks first)",
    ),
    Binding("m", "send_note", "Note", id="note", tooltip="Send a short note to the driver"),
    Binding("w", "toggle_team", "Who", id="who", tooltip="Show or hide who is connected: role, location, since"),
    Binding("question_mark,f1", "help", "Help", id="help", tooltip="This list of keys"),
    Binding(
        "ctrl+z",
        "suspend",
        "Suspend",
        id="suspend",
        show=False,
        tooltip="Back to the shell for a moment; fg brings the app back as it was",
    ),
    # Ctrl+\ quits a terminal program in the shell; here it asks what ctrl+q asks.
    Binding(
        "ctrl+q,ctrl+backslash",
        "quit",
        "Quit",
        id="quit",
        priority=True,
        tooltip="Leave the app; the run stays saved",
    ),
)

# The agenda, when it has the focus: move its cursor and enter a step.
AGENDA: Final[tuple[Binding, ...]] = (
    Binding("up", "cursor(-1)", "Up", show=False, id="agenda-up", tooltip="Move the agenda's cursor up"),
    Binding("down", "cursor(1)", "Down", show=False, id="agenda-down", tooltip="Move the agenda's cursor down"),
    Binding(
        "enter",
        "enter_step",
        "Enter step",
        show=False,
        id="agenda-enter",
        tooltip="Enter the step under the cursor",
    ),
)

# The form that logs or edits a reflection.
REFLECTION_FORM: Final[tuple[Binding, ...]] = (
    Binding("ctrl+s", "submit", "Submit", id="submit-reflection", priority=True),
    Binding("escape", "cancel", "Cancel", id="cancel-reflection"),
)

# The reflections screen (R): list, filter, edit, hide and retract.
REFLECTIONS: Final[tuple[Binding, ...]] = (
    Binding("escape,R", "back", "Back", id="reflections-back"),
    Binding("e", "edit", "Edit", id="reflections-edit"),
    Binding("x", "retract", "Retract", id="reflections-retract"),
    Binding(
        "h",
        "toggle_hidden",
        "Hide",
        id="reflections-hide",
        tooltip="Hide the reflection from the feed, the room view and the quotes, or show it again",
    ),
    Binding("t", "toggle_retracted", "Retracted", id="reflections-toggle-retracted"),
    Binding("slash", "search", "Search", id="reflections-search", priority=True),  # as the attendance filter's
    Binding(
        "enter",
        "leave_filter",
        "To the list",
        id="reflections-search-done",
        show=False,
        priority=True,
        tooltip="From the search back to the list, its rows kept",
    ),
)

# The attendance screen (a): who is in, marks, walk-ins, a location's link.
ATTENDANCE: Final[tuple[Binding, ...]] = (
    Binding("escape", "back", "Back", id="attendance-back", tooltip="Back to the main screen"),
    Binding("space", "toggle_present", "In/out", id="attendance-toggle", tooltip="Check the highlighted one in or out"),
    Binding("o", "check_out", "Out", id="attendance-check-out", tooltip="Check the highlighted person out"),
    Binding("l", "mark('late')", "Late", id="attendance-late", tooltip="Mark the highlighted person late today"),
    Binding("e", "mark('excused')", "Excused", id="attendance-excused", tooltip="Mark the highlighted person excused"),
    Binding(
        "x",
        "mark('absent')",
        "Absent",
        id="attendance-absent",
        show=False,
        tooltip="Mark the highlighted person absent today",
    ),
    Binding("c", "mark('')", "Clear", id="attendance-clear", tooltip="Clear today's mark of the highlighted one"),
    Binding(
        "A",
        "everyone",
        "All here",
        id="attendance-everyone",
        tooltip="Check in everyone at the highlighted person's location (asks first)",
    ),
    Binding("w", "walk_in", "Walk-in", id="attendance-walk-in", tooltip="Add a participant who came unannounced"),
    Binding("f2", "edit", "Edit", id="attendance-edit", tooltip="Edit the highlighted participant"),
    Binding(
        "k",
        "cycle_link",
        "Link",
        id="attendance-link",
        tooltip="Cycle the link of the highlighted person's location: not joined, connected, dropped",
    ),
    # The filter's keys act before the next key is read (priority): keys typed ahead, or arriving together over
    # a slow link, go where the focus went ("/unmiss", Enter then space), not where it was.
    Binding(
        "slash",
        "search",
        "Filter",
        id="attendance-filter",
        priority=True,
        tooltip="Filter by name, e-mail, location, role",
    ),
    Binding(
        "enter,escape",
        "leave_filter",
        "To the list",
        id="attendance-filter-done",
        show=False,
        priority=True,
        tooltip="From the filter back to the list, its rows kept",
    ),
)

# The breakout groups screen (G): the driver's keys change them; everyone else only looks. B (the main
# screen's) makes a new round from here too.
GROUPS: Final[tuple[Binding, ...]] = (
    Binding("escape,G", "back", "Back", id="groups-back", tooltip="Back to where you were"),
    Binding(
        "m",
        "move",
        "Move",
        id="groups-move",
        tooltip="Move the highlighted person to another group (asks its number)",
    ),
    Binding(
        "l",
        "add_waiting",
        "Add late",
        id="groups-add-late",
        tooltip="Add everyone checked in but in no group, each to the smallest group",
    ),
    Binding("e", "end", "End", id="groups-end", tooltip="End the groups: the room is back together (asks first)"),
)

# The who-speaks screen (S): the driver shows the tally on the room view, or hides it.
SPEAKING: Final[tuple[Binding, ...]] = (
    Binding("escape,S", "dismiss", "Back", id="speaking-back", tooltip="Back to where you were"),
    Binding(
        "v",
        "toggle_room",
        "Room view",
        id="speaking-room",
        tooltip="Show the tally (never a name) on the room view, or hide it again",
    ),
)

# A box of the make-groups form (what to mix): space ticks it; enter, as in the rest of the form, makes them.
GROUPS_MIX_BOX: Final[tuple[Binding, ...]] = (
    Binding("space", "toggle_button", "Tick", id="groups-mix-tick", show=False, tooltip="Tick or untick the box"),
)

# The form that makes breakout groups (B), and the one that asks which group to move someone to (m).
GROUPS_FORM: Final[tuple[Binding, ...]] = (
    # Not a priority key: it must come after the keys typed before it have reached their field.
    Binding("enter", "submit", "Make", id="groups-form-submit", tooltip="Make the groups, or move"),
    Binding("escape", "cancel", "Cancel", id="groups-form-cancel", tooltip="Close the form, changing nothing"),
)

# The form that adds a walk-in or edits a participant.
PARTICIPANT_FORM: Final[tuple[Binding, ...]] = (
    Binding("ctrl+s", "save", "Save", id="save-participant", priority=True, tooltip="Save the participant"),
    Binding("escape", "cancel", "Cancel", id="cancel-participant", tooltip="Close the form, saving nothing"),
)

# The jump (g), day (d), question (v, x with several questions at hand) and speaker (s) pickers.
PICKER: Final[tuple[Binding, ...]] = (Binding("escape", "dismiss", "Close", id="close-picker"),)

# Every yes/no question (facilitator.tui.modals.choice): retract, everyone present, take control, close a day,
# close a room question, end the breakout groups.
CHOICE: Final[tuple[Binding, ...]] = (
    Binding("y", "answer('yes')", "Yes", id="choice-yes", tooltip="Do what the question says"),
    Binding("n", "answer('no')", "No", id="choice-no", tooltip="The question's other answer, or cancel"),
    Binding("escape", "answer", "Cancel", id="choice-cancel", tooltip="Change nothing"),
)

# The QR code screen (q): one location's code at a time.
QR: Final[tuple[Binding, ...]] = (
    Binding("escape,q", "back", "Back", id="qr-back", tooltip="Close the QR code"),
    Binding("right,n", "cycle(1)", "Next location", id="qr-next", tooltip="The next location's code"),
    Binding("left,p", "cycle(-1)", "Previous", id="qr-previous", tooltip="The previous location's code"),
)

# The hand-control picker (h).
CONTROL_PICKER: Final[tuple[Binding, ...]] = (
    Binding("enter", "hand_over", "Hand over", id="hand-over", tooltip="Hand control to the highlighted person"),
    Binding("x", "decline", "Decline", id="decline-control", tooltip="Decline the highlighted request for control"),
    Binding("escape", "dismiss", "Close", id="close-control", tooltip="Close without handing over"),
)

# The note to the driver (m).
NOTE_FORM: Final[tuple[Binding, ...]] = (
    Binding("escape", "dismiss", "Cancel", id="cancel-note", tooltip="Close the note without sending it"),
)

# Join requests from the participant page (J).
REQUESTS: Final[tuple[Binding, ...]] = (
    Binding("escape,J", "back", "Back", id="requests-back", tooltip="Back to where you were"),
    Binding("y", "decide(True)", "Approve", id="requests-approve", tooltip="Add the person to the roster"),
    Binding("n", "decide(False)", "Decline", id="requests-decline", tooltip="Decline the request"),
)

# This list of keys (?).
HELP: Final[tuple[Binding, ...]] = (Binding("escape,q,question_mark", "dismiss", "Close", id="close-help"),)

# The room view (facilitator room): what is shared on screen in the call.
ROOM: Final[tuple[Binding, ...]] = (
    Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, tooltip="Close the room view"),
)

# The attendance screen's table: its cursor keys, which stay on the rows that are drawn.
ROSTER_TABLE: Final[tuple[Binding, ...]] = (
    Binding("enter", "select_cursor", "Select", show=False, id="roster-select"),
    Binding("up", "move(-1)", "Cursor up", show=False, id="roster-up"),
    Binding("down", "move(1)", "Cursor down", show=False, id="roster-down"),
    Binding("pageup", "page(-1)", "Page up", show=False, id="roster-page-up"),
    Binding("pagedown", "page(1)", "Page down", show=False, id="roster-page-down"),
    Binding("home,ctrl+home", "go(0)", "Top", show=False, id="roster-top"),
    Binding("end,ctrl+end", "go(-1)", "Bottom", show=False, id="roster-bottom"),
)

# The command palette (ctrl+p): its page keys, which wait for its list to be laid out.
PALETTE: Final[tuple[Binding, ...]] = (
    Binding("pagedown", "page(1)", "Next page", show=False, id="palette-page-down"),
    Binding("pageup", "page(-1)", "Previous page", show=False, id="palette-page-up"),
)


@dataclass(frozen=True)
class KeyGroup:
    """Keys that work in one place, as the help screen lists them."""

    title: str
    bindings: tuple[Binding, ...]
    textual_keys: tuple[tuple[str, str], ...] = ()  # keys Textual binds itself here: (keys, what they do)


# What the help screen lists, in this order; the roster table's and the palette's cursor keys are the usual ones.
HELP_GROUPS: Final[tuple[KeyGroup, ...]] = (
    KeyGroup("Main screen", MAIN, textual_keys=(("ctrl+p", "Command palette: every action by name"),)),
    KeyGroup("Agenda", AGENDA),
    KeyGroup("Reflection form", REFLECTION_FORM),
    KeyGroup("Reflections screen", REFLECTIONS),
    KeyGroup("Attendance screen", ATTENDANCE),
    KeyGroup("Participant form", PARTICIPANT_FORM),
    KeyGroup("Breakout groups screen", GROUPS),
    KeyGroup("Make-groups and move forms", GROUPS_FORM),
    KeyGroup("What the groups mix (a box of the make-groups form)", GROUPS_MIX_BOX),
    KeyGroup("Who speaks screen", SPEAKING),
    KeyGroup("Jump, day, question and speaker pickers", PICKER),
    KeyGroup(
        "Yes/no questions (retract, everyone present, take control, close the day or a room question, an earlier "
        "day, end the groups)",
        CHOICE,
    ),
    KeyGroup("QR code", QR),
    KeyGroup("Hand-control picker", CONTROL_PICKER),
    KeyGroup("Note to the driver", NOTE_FORM),
    KeyGroup("Join requests", REQUESTS),
    KeyGroup("Help", HELP),
)


def binding_ids() -> frozenset[str]:
    """The ids a user may remap in the config file's ``[keys]`` table: those the help screen lists."""
    return frozenset(b.id for group in HELP_GROUPS for b in group.bindings if b.id is not None)
