from facilitator.text import printable


def test_control_characters_become_visible() -> None:
    assert printable("red \x1b[31mtext\x07") == "red \\x1b[31mtext\\x07"
    assert printable("a\u202eb") == "a\\u202eb"
    assert printable("line one\nline\ttwo") == "line one\nline\ttwo"
    assert printable("[bold]stays[/bold] <b>too</b>") == "[bold]stays[/bold] <b>too</b>"
