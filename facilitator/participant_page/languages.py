"""Which of the page's languages a workshop's text is written in, so that a question in another language than
the page carries ``lang`` and a screen reader reads it with the right voice (an English question on the French
page read by a French voice is hard to follow).

The workshop file does not say which language its text is in, and a workshop may mix them; so each text is
judged on its own, by the short words every sentence of a language is made of. A text with too few of them
to tell (a name, one word) gets None: it then inherits the page's language, as it always did.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Function words only: they are frequent, short and rarely shared. Words both languages use ("a", "on",
# "image", "question") are left out, as is anything a proper name could be.


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


FUNCTION_WORDS: Mapping[str, frozenset[str]] = {
    "en": _words(
        "the and of to in is are was were be been what which who whom whose how why when where will would "
        "shall should can could may might must do does did done have has had you your yours we our us they "
        "their them it its this that these those with from for about into by at as not no any some one "
        "each every all my me i he she his her if or than then there here why just also more most"
    ),
    "fr": _words(
        "le la les un une des du de au aux et est sont était être avez avons ont été que qui quoi quel quelle "
        "quels quelles comment pourquoi quand où vous votre vos nous notre nos ils elles leur leurs ce cette "
        "ces cet avec pour dans par sur sous sans pas ne plus tout tous toute toutes mon ma mes je il elle "
        "si ou mais donc car dont qu l d j n c s y en"
    ),
}
WORD = re.compile(r"[^\W\d_]+")
MARGIN = 2  # the winner's lead, in words: one stray word decides nothing


def language_of(text: str | None) -> str | None:
    """``"en"`` or ``"fr"`` when ``text`` is clearly in that language, else None."""
    if not text:
        return None
    words = WORD.findall(text.casefold())
    # Accented letters are no evidence: names carry them in every language (Aïssata Traoré).
    scores = {language: sum(word in vocabulary for word in words) for language, vocabulary in FUNCTION_WORDS.items()}
    best, runner_up = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:2]
    return best[0] if best[1] - runner_up[1] >= MARGIN else None
