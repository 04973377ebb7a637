"""Widgets of the lead screen. Participant and script text is shown as plain text, never as markup."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.text import Text
from textual.widgets import Static

from facilitator.state import SessionState, Timer
from facilitator.text import printable


def clock_text(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    body = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
    return body


class AgendaView(Static):
    """The day's steps with their planned start times; the current one marked."""

    def show(self, state: SessionState) -> None:
        programme = state.programme
        if programme is None:
            self.update("No workshop in this run.")
            return
        day = programme.day(state.day) if state.day else programme.workshop.days[0]
        text = Text()
        text.append(f"{day.date:%a %d %b}  {printable(day.title)}\n", style="bold")
        current_exercise = None
        for planned in programme.timeline(day):
            if planned.exercise.id != current_exercise:
                current_exercise = planned.exercise.id
                text.append(f"\n{printable(planned.exercise.title)}\n", style="bold")
            is_current = planned.exercise.id == state.exercise and planned.step.id == state.step
            marker = "▶ " if is_current else "  "
            minutes = int(planned.step.duration.total_seconds() // 60)
            line = f"{marker}{planned.start:%H:%M} {printable(planned.step.title)} ({minutes}m)\n"
            text.append(line, style="reverse" if is_current else "")
        self.update(text)


class StepView(Static):
    """What participants see, the private notes and the reflection prompt of the current step."""

    def show(self, state: SessionState) -> None:
        current = state.current
        if current is None:
            self.update(Text("Press n to start the first step of the day.", style="italic"))
            return
        step = current.step
        text = Text()
        text.append(f"{printable(step.title)}\n", style="bold")
        text.append(f"{step.kind.value} · {printable(current.exercise.title)}\n\n", style="dim")
        if step.text:
            text.append(printable(step.text.rstrip()) + "\n\n")
        if step.prompt:
            text.append("Reflection prompt: ", style="bold")
            text.append(printable(step.prompt.text) + "\n\n")
        if step.notes:
            text.append("Facilitator notes\n", style="bold")
            text.append(printable(step.notes.rstrip()) + "\n", style="italic")
        self.update(text)


class TimerView(Static):
    """Time left in the current step; counts the overrun up once time is out."""

    def show(self, timer: Timer | None, now: datetime) -> None:
        if timer is None:
            self.update("--:--")
            self.set_classes("")
            return
        remaining = timer.remaining(now)
        share = remaining / timer.allowed if timer.allowed else 0
        label = clock_text(remaining) if remaining >= timedelta() else "+" + clock_text(remaining)
        if timer.paused:
            label += "  paused"
        self.update(label)
        level = "over" if remaining < timedelta() else "red" if share <= 0.05 else "amber" if share <= 0.2 else ""
        self.set_classes(level)
