from facilitator.text import printable


def test_control_characters_become_visible() -> None:
    assert printable("red \x1b[31mtext\x07") == "red \\x1b[31mtext\\x07"
    assert printable("a\u202eb") == "a\\u202eb"
    assert printable("line one\nline\ttwo") == "line one\nline\ttwo"
    assert printable("[bold]stays[/bold] <b>too</b>") == "[bold]stays[/bold] <b>too</b>"


def test_reflow_joins_wrapped_lines_but_keeps_paragraphs_and_lists() -> None:
    from facilitator.text import reflow

    written = (
        "Call locations in a fixed order and use\nthe same order all week.\n\n"
        "In your group:\n  - Name and role.\n- One place where\n1. First\n2) Second\nplain after list"
    )
    assert reflow(written) == (
        "Call locations in a fixed order and use the same order all week.\n\n"
        "In your group:\n  - Name and role.\n- One place where\n1. First\n2) Second plain after list"
    )
