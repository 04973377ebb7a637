"""Every string the participant page shows, in English and French: one place to translate.

Templates use ``t.key``; participant text is never put in here, only the page's own words.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

LANGUAGES = ("en", "fr")
DEFAULT = "en"
# French puts a no-break space before : ; ! ? (narrow before ; ! ?, full before :), so that the sign never
# starts a line on its own; written as escapes, as an editor shows both as ordinary spaces.
NBSP = "\u00a0"
NNBSP = "\u202f"

EN: Mapping[str, str] = {
    "title": "Workshop check-in",
    "title_format": "{state} – {site}",
    "title_error": "Error: {title}",
    "language_switch": "Français",
    "error_summary_title": "There is a problem",
    "not_sent_title": "Your text was not sent",
    "back_to_page": "Back to my page",
    "enter_heading": "Enter the code on the screen",
    "enter_help": "Type the twelve letters and digits shown under the QR code, like abcd-efgh-ijkl.",
    "enter_label": "Code",
    "enter_submit": "Continue",
    "enter_invalid": "That is not a code from the screen: it has twelve letters and digits.",
    "enter_again": "Enter the code from the screen",
    "link_invalid_heading": "This link does not work",
    "link_invalid_body": (
        "Codes change during the day. Scan the QR code on the screen again, or enter the code shown under it."
    ),
    "link_invalid_body_known": "Codes change during the day: your page has a new link.",
    "identify_heading": "Who are you?",
    "identify_help": "Give the e-mail address you registered with, or the personal code you received, or both.",
    "identify_help_code": (
        "Give the personal code you received with your invitation, and the e-mail address you registered with."
    ),
    "email_label": "E-mail address",
    "code_label": "Personal code",
    "identify_submit": "Check in",
    "no_match": "We could not match these details. Check them and try again, or ask to be added below.",
    "identify_too_many": "Too many tries just now. Wait a minute, then try again.",
    "code_only_busy": "Too many tries with a code alone just now. Give your e-mail address with your code.",
    "form_expired": "The form had expired, so nothing was recorded. Check what you typed and send it again.",
    "request_heading": "Not on the list?",
    "request_help": "Ask to be added: a facilitator will see your request.",
    "name_label": "Your name",
    "request_submit": "Ask to be added",
    "request_sent_heading": "Request sent",
    "request_sent_body": (
        "A facilitator will see your request. Once they have added you, come back here and check in with your e-mail."
    ),
    "request_sent_body_code": "A facilitator will see your request and check you in.",
    "request_invalid": "Give your name and a valid e-mail address.",
    "request_too_many": "Too many requests from here. Please wait a minute and try again, or ask a facilitator.",
    "at_location": "Location",
    "checked_in_now": "You are checked in (at {time}).",
    "checked_in_already": "You are already checked in (since {time}).",
    "not_checked_in": "You are not checked in here.",
    "check_in_submit": "Check in",
    "check_out_help": "Leaving? Tell us, so the register shows when you left.",
    "check_out_submit": "I’m leaving",
    "checked_out": "You are checked out (since {time}). Check in again when you are back.",
    "not_in_to_leave": "You were not checked in, so there was nothing to check out.",
    "signed_in_as": "Signed in as {name}.",
    "not_you": "Not you? Sign out",
    "state_checked_in": "Checked in",
    "state_checked_out": "Checked out",
    "state_not_checked_in": "Not checked in",
    "state_sent": "Answer sent",
    "prompt_heading": "Reflection",
    "no_prompt": "There is no question to answer right now.",
    "no_prompt_updates": "This page shows the next one as soon as it comes.",
    "check_question": "Check for a new question",
    "prompt_changed": "The question has changed. Your text is kept.",
    "show_new_question": "Show the new question",
    "prompt_changed_kept": (
        "The question changed while you were writing, so your text was not sent. It is kept under the new "
        "question: send it as your answer to that one, or change it first."
    ),
    "written_for": "Your text was written for this question:",
    "kept_no_prompt": ("There is no question now, so your text was not sent. It is kept here until the next question."),
    "kept_label": "Your text (not sent)",
    "signed_out_kept": "You are no longer signed in, so your text was not sent. It is below: sign in, then send it.",
    "link_renewed_kept": "The page’s link had expired, so your text was not sent. It is kept below: send it again.",
    "anonymous_note": "Your answer is anonymous: your name is not recorded.",
    "named_note": "Your answer is recorded with your name.",
    "choose_note": "You choose whether your name goes with your answer.",
    "show_name_label": "Record my name with my answer",
    "reflection_label": "Your answer",
    "consent_label": "The organisers may quote my answer (without my name unless it is recorded with it).",
    "reflect_submit": "Send",
    "reflection_sent": "Thank you: your answer has been recorded.",
    "reflection_error": "Your answer could not be recorded: {problem}",
    "reflection_empty": "it is empty.",
    "reflection_too_long": "it is too long (at most {limit} characters).",
    "session_expired_heading": "This form has expired",
    "session_expired_body": "Nothing was recorded. Go back to your page and try again.",
    "not_sent_below": "Your text, which was not sent:",
    "too_many_heading": "Too many requests",
    "too_many_body": "Many phones asked at once from this network. Wait a few seconds, then try again.",
    "try_again": "Try again",
    "not_found_heading": "Page not found",
    "not_found_body": "There is nothing at this address.",
    # The room's questions (polls, quizzes, scales, comments, the course evaluation)
    "questions_heading": "Questions",
    "answers_submit": "Send my answers",
    "answers_not_sent_title": "Your answers were not recorded",
    "check_results": "Check for new questions and results",
    "answers_sent": "Thank you: your answers are recorded.",
    "state_answers_sent": "Answers recorded",
    "answer_recorded": "Your answer is recorded; you can change it until the question closes.",
    "your_answer": "Your answer: {answer}",
    "question_closed": "This question is closed: it takes no more answers.",
    "question_revealed_closed": "The right answer has been shown, so this question takes no more answers.",
    "needs_check_in": "Some questions are answered with your name, so you need to be checked in here to answer them.",
    "needs_check_in_question": "This question is answered with your name: check in to answer it.",
    "check_in_to_answer": "Check in to answer",
    "hint_one": "Choose one answer.",
    "hint_many": "Choose all that apply.",
    "hint_scale": "Choose a number from {min} to {max}.",
    "hint_text": "At most {limit} characters.",
    "scale_end": "{value} ({meaning})",
    "comment_consent_anonymous": "The organisers may quote my comment (it is recorded without my name).",
    "comment_consent_named": "The organisers may quote my comment (it is recorded with my name).",
    "results_heading": "Results",
    "results_answered": "Answers: {count}",
    "results_none": "Nobody has answered yet.",
    "result_figures": "{count} ({share})",
    "percent": "{value}%",
    "results_several": "Each person could choose several answers, so the shares add up to more than 100%.",
    "results_mean": "Average: {mean}",
    "results_text_note": "The comments are read by the organisers and are not shown here.",
    "right_answer": "Right answer",
    "your_choice": "Your answer",
    "quiz_right": "Your answer is right.",
    "quiz_wrong": "Your answer is not right.",
    "quiz_unanswered": "You did not answer this question.",
    "quiz_correct_one": "The right answer: {answers}.",
    "quiz_correct_many": "The right answers: {answers}.",
    "list_separator": "; ",
    "answers_not_recorded": "Nothing was recorded. Check these answers and send them again:",
    "answer_problem": "{question} — {problem}",
    "answer_closed": "This question closed before your answer arrived, so it was not recorded.",
    "answer_revealed": "The right answer to this question has been shown, so it takes no more answers.",
    "answer_unknown": "One of the questions is no longer asked.",
    "answer_check_in": "This question is answered with your name: check in first, then send your answer.",
    "answer_not_an_option": "That answer is not one of this question’s options. Choose one of those shown.",
    "answer_one_only": "Choose only one answer.",
    "answer_value": "Choose a number from {min} to {max}.",
    "answer_too_long": "Your comment is too long: at most {limit} characters.",
    "answer_withdraw": "An answer cannot be taken back: choose another one, or keep the one you gave.",
    "answer_nothing": "Choose or write an answer before sending.",
    "answer_refused": "This answer could not be recorded. Check it and send it again.",
    "answers_link_renewed": (
        "The page’s link had expired, so your answers were not recorded. They are kept below: send them again."
    ),
    "live_new_question": "A new question is open.",
    "live_results": "Results are shown.",
    "live_closed": "A question has closed.",
    # Breakout groups (facilitator.participant_page.web.group_view)
    "group_heading": "Your group",
    "group_with": "You are in group {number} with {names}.",
    "group_alone": "You are in group {number}.",
    "group_and": "and",
    "group_someone": "someone",
    "group_call": "Your call:",
    "group_new_tab": "(opens in a new tab)",
    "group_until": "The groups meet until {time}.",
    "groups_heading": "Group work",
    "groups_without_you": "Groups are meeting; ask a facilitator to add you.",
    "live_groups_changed": "The groups have changed.",
    "live_groups_ended": "The groups have ended.",
    # Checking a certificate of attendance (/verify/CODE)
    "verify_heading": "Check a certificate",
    "verify_help": (
        "Type the verification code printed on the certificate under its QR code: twenty letters and digits, "
        "like 7KQ2-M9XD-0RTA-4WZE-C1HB."
    ),
    "verify_label": "Verification code",
    "verify_submit": "Check",
    "verify_genuine_heading": "Genuine certificate",
    "verify_genuine_body": "This code was issued with the certificate of attendance described below.",
    "verify_name": "Issued to",
    "verify_course": "Course",
    "verify_dates": "Dates",
    "verify_location": "Location",
    "verify_hours": "Attendance",
    "verify_hours_value": "{hours} hours",
    "verify_issuer": "Issued by",
    "verify_code": "Code",
    "verify_not_genuine_heading": "Not a genuine certificate",
    "verify_not_genuine_body": (
        "No certificate of this course has this code. Check that it was typed exactly as printed, or ask the "
        "organisers."
    ),
    "verify_too_many": "Too many codes were checked from here just now. Wait a minute, then try again.",
    "month_names": "January February March April May June July August September October November December",
}

FR: Mapping[str, str] = {
    "title": "Présence à l’atelier",
    "title_format": "{state} – {site}",
    "title_error": f"Erreur{NBSP}: {{title}}",
    "language_switch": "English",
    "error_summary_title": "Il y a un problème",
    "not_sent_title": "Votre texte n’a pas été envoyé",
    "back_to_page": "Retour à ma page",
    "enter_heading": "Saisissez le code affiché à l’écran",
    "enter_help": "Tapez les douze lettres et chiffres affichés sous le code QR, comme abcd-efgh-ijkl.",
    "enter_label": "Code",
    "enter_submit": "Continuer",
    "enter_invalid": f"Ce n’est pas un code de l’écran{NBSP}: il compte douze lettres et chiffres.",
    "enter_again": "Saisir le code affiché à l’écran",
    "link_invalid_heading": "Ce lien ne fonctionne pas",
    "link_invalid_body": (
        "Les codes changent au cours de la journée. Scannez de nouveau le code QR affiché à l’écran, ou saisissez "
        "le code indiqué dessous."
    ),
    "link_invalid_body_known": f"Les codes changent au cours de la journée{NBSP}: votre page a un nouveau lien.",
    "identify_heading": f"Qui êtes-vous{NNBSP}?",
    "identify_help": (
        "Indiquez l’adresse e-mail de votre inscription, ou le code personnel que vous avez reçu, ou les deux."
    ),
    "identify_help_code": (
        "Indiquez le code personnel reçu avec votre invitation, et l’adresse e-mail de votre inscription."
    ),
    "email_label": "Adresse e-mail",
    "code_label": "Code personnel",
    "identify_submit": "Enregistrer ma présence",
    "no_match": (
        "Nous n’avons pas pu vous identifier avec ces informations. Vérifiez-les et réessayez, ou demandez votre "
        "ajout à la liste ci-dessous."
    ),
    "identify_too_many": "Trop d’essais pour le moment. Patientez une minute, puis réessayez.",
    "code_only_busy": "Trop d’essais avec un code seul pour le moment. Indiquez votre adresse e-mail avec votre code.",
    "form_expired": (
        f"Le formulaire avait expiré{NBSP}: rien n’a été enregistré. Vérifiez votre saisie et envoyez-la de nouveau."
    ),
    "request_heading": f"Vous n’êtes pas sur la liste{NNBSP}?",
    "request_help": f"Demandez votre ajout{NBSP}: l’équipe d’animation verra votre demande.",
    "name_label": "Votre nom",
    "request_submit": "Demander mon ajout",
    "request_sent_heading": "Demande envoyée",
    "request_sent_body": (
        "L’équipe d’animation verra votre demande. Une fois votre nom ajouté, revenez ici et enregistrez votre "
        "présence avec votre adresse e-mail."
    ),
    "request_sent_body_code": "L’équipe d’animation verra votre demande et enregistrera votre présence.",
    "request_invalid": "Indiquez votre nom et une adresse e-mail valide.",
    "request_too_many": (
        "Trop de demandes depuis ce réseau. Patientez une minute et réessayez, ou adressez-vous à l’équipe d’animation."
    ),
    "at_location": "Lieu",
    "checked_in_now": "Votre présence est enregistrée (à {time}).",
    "checked_in_already": "Votre présence est déjà enregistrée (depuis {time}).",
    "not_checked_in": "Votre présence n’est pas enregistrée ici.",
    "check_in_submit": "Enregistrer ma présence",
    "check_out_help": (
        f"Vous partez{NNBSP}? Dites-le, pour que la feuille de présence indique l’heure de votre départ."
    ),
    "check_out_submit": "Je pars",
    "checked_out": "Votre départ est enregistré (à {time}). Enregistrez de nouveau votre présence à votre retour.",
    "not_in_to_leave": f"Votre présence n’était pas enregistrée{NBSP}: il n’y avait pas de départ à enregistrer.",
    "signed_in_as": f"Connexion{NBSP}: {{name}}",
    "not_you": f"Ce n’est pas vous{NNBSP}? Se déconnecter",
    "state_checked_in": "Présence enregistrée",
    "state_checked_out": "Départ enregistré",
    "state_not_checked_in": "Présence non enregistrée",
    "state_sent": "Réponse envoyée",
    "prompt_heading": "Réflexion",
    "no_prompt": "Il n’y a pas de question pour le moment.",
    "no_prompt_updates": "Cette page affichera la prochaine dès qu’elle arrivera.",
    "check_question": "Voir s’il y a une nouvelle question",
    "prompt_changed": "La question a changé. Votre texte est conservé.",
    "show_new_question": "Voir la nouvelle question",
    "prompt_changed_kept": (
        f"La question a changé pendant que vous écriviez{NBSP}: votre texte n’a donc pas été envoyé. Il est "
        f"conservé sous la nouvelle question{NBSP}: envoyez-le comme réponse à celle-ci, ou modifiez-le d’abord."
    ),
    "written_for": f"Votre texte répondait à cette question{NBSP}:",
    "kept_no_prompt": (
        f"Il n’y a plus de question{NBSP}: votre texte n’a donc pas été envoyé. Il est conservé ici jusqu’à la "
        "prochaine question."
    ),
    "kept_label": "Votre texte (non envoyé)",
    "signed_out_kept": (
        f"Votre connexion a pris fin{NBSP}: votre texte n’a donc pas été envoyé. Il est ci-dessous{NBSP}: "
        "reconnectez-vous, puis envoyez-le."
    ),
    "link_renewed_kept": (
        f"Le lien de la page avait expiré{NBSP}: votre texte n’a donc pas été envoyé. Il est conservé "
        f"ci-dessous{NBSP}: envoyez-le de nouveau."
    ),
    "anonymous_note": f"Votre réponse est anonyme{NBSP}: votre nom n’est pas enregistré.",
    "named_note": "Votre réponse est enregistrée avec votre nom.",
    "choose_note": "Vous choisissez si votre nom accompagne votre réponse.",
    "show_name_label": "Enregistrer mon nom avec ma réponse",
    "reflection_label": "Votre réponse",
    "consent_label": "L’équipe organisatrice peut citer ma réponse (sans mon nom, sauf s’il est enregistré avec elle).",
    "reflect_submit": "Envoyer",
    "reflection_sent": f"Merci{NBSP}: votre réponse a été enregistrée.",
    "reflection_error": f"Votre réponse n’a pas pu être enregistrée{NBSP}: {{problem}}",
    "reflection_empty": "elle est vide.",
    "reflection_too_long": "elle est trop longue ({limit} caractères au plus).",
    "session_expired_heading": "Ce formulaire a expiré",
    "session_expired_body": "Rien n’a été enregistré. Revenez à votre page et réessayez.",
    "not_sent_below": f"Votre texte, qui n’a pas été envoyé{NBSP}:",
    "too_many_heading": "Trop de demandes",
    "too_many_body": (
        "De nombreux téléphones ont fait une demande en même temps depuis ce réseau. Patientez quelques secondes, "
        "puis réessayez."
    ),
    "try_again": "Réessayer",
    "not_found_heading": "Page introuvable",
    "not_found_body": "Il n’y a rien à cette adresse.",
    # Les questions posées à la salle (sondages, quiz, échelles, commentaires, évaluation de la formation)
    "questions_heading": "Questions",
    "answers_submit": "Envoyer mes réponses",
    "answers_not_sent_title": "Vos réponses n’ont pas été enregistrées",
    "check_results": "Voir s’il y a de nouvelles questions ou des résultats",
    "answers_sent": f"Merci{NBSP}: vos réponses sont enregistrées.",
    "state_answers_sent": "Réponses enregistrées",
    "answer_recorded": (
        f"Votre réponse est enregistrée{NNBSP}; vous pouvez la modifier jusqu’à la clôture de la question."
    ),
    "your_answer": f"Votre réponse{NBSP}: {{answer}}",
    "question_closed": f"Cette question est close{NBSP}: elle n’accepte plus de réponses.",
    "question_revealed_closed": (
        f"La bonne réponse a été affichée{NBSP}: cette question n’accepte donc plus de réponses."
    ),
    "needs_check_in": (
        f"Vous répondez à certaines questions avec votre nom{NBSP}: enregistrez votre présence ici pour y répondre."
    ),
    "needs_check_in_question": (
        f"Vous répondez à cette question avec votre nom{NBSP}: enregistrez votre présence pour y répondre."
    ),
    "check_in_to_answer": "Enregistrer ma présence pour répondre",
    "hint_one": "Choisissez une réponse.",
    "hint_many": "Choisissez toutes les réponses qui conviennent.",
    "hint_scale": "Choisissez un nombre de {min} à {max}.",
    "hint_text": "{limit} caractères au plus.",
    "scale_end": "{value} ({meaning})",
    "comment_consent_anonymous": (
        "L’équipe organisatrice peut citer mon commentaire (il est enregistré sans mon nom)."
    ),
    "comment_consent_named": "L’équipe organisatrice peut citer mon commentaire (il est enregistré avec mon nom).",
    "results_heading": "Résultats",
    "results_answered": f"Réponses{NBSP}: {{count}}",
    "results_none": "Personne n’a encore répondu.",
    "result_figures": "{count} ({share})",
    "percent": f"{{value}}{NNBSP}%",
    "results_several": (
        f"Chaque personne pouvait choisir plusieurs réponses{NBSP}: le total des parts dépasse donc 100{NNBSP}%."
    ),
    "results_mean": f"Moyenne{NBSP}: {{mean}}",
    "results_text_note": "Les commentaires sont lus par l’équipe organisatrice et ne sont pas affichés ici.",
    "right_answer": "Bonne réponse",
    "your_choice": "Votre réponse",
    "quiz_right": "Votre réponse est juste.",
    "quiz_wrong": "Votre réponse n’est pas juste.",
    "quiz_unanswered": "Vous n’avez pas répondu à cette question.",
    "quiz_correct_one": f"La bonne réponse{NBSP}: {{answers}}.",
    "quiz_correct_many": f"Les bonnes réponses{NBSP}: {{answers}}.",
    "list_separator": f"{NNBSP}; ",
    "answers_not_recorded": f"Rien n’a été enregistré. Vérifiez ces réponses et envoyez-les de nouveau{NBSP}:",
    "answer_problem": "{question} — {problem}",
    "answer_closed": (
        f"Cette question a été close avant l’arrivée de votre réponse{NBSP}: celle-ci n’a donc pas été enregistrée."
    ),
    "answer_revealed": (
        f"La bonne réponse à cette question a été affichée{NBSP}: elle n’accepte donc plus de réponses."
    ),
    "answer_unknown": "Une des questions n’est plus posée.",
    "answer_check_in": (
        f"Vous répondez à cette question avec votre nom{NBSP}: enregistrez d’abord votre présence, puis envoyez "
        "votre réponse."
    ),
    "answer_not_an_option": (
        "Cette réponse ne fait pas partie des choix de la question. Choisissez parmi les réponses affichées."
    ),
    "answer_one_only": "Choisissez une seule réponse.",
    "answer_value": "Choisissez un nombre de {min} à {max}.",
    "answer_too_long": f"Votre commentaire est trop long{NBSP}: {{limit}} caractères au plus.",
    "answer_withdraw": (
        f"Une réponse ne peut pas être retirée{NBSP}: choisissez-en une autre, ou gardez celle que vous avez donnée."
    ),
    "answer_nothing": "Choisissez ou écrivez une réponse avant d’envoyer.",
    "answer_refused": "Cette réponse n’a pas pu être enregistrée. Vérifiez-la et envoyez-la de nouveau.",
    "answers_link_renewed": (
        f"Le lien de la page avait expiré{NBSP}: vos réponses n’ont donc pas été enregistrées. Elles sont conservées "
        f"ci-dessous{NBSP}: envoyez-les de nouveau."
    ),
    "live_new_question": "Une nouvelle question est ouverte.",
    "live_results": "Les résultats sont affichés.",
    "live_closed": "Une question est close.",
    # Groupes de travail
    "group_heading": "Votre groupe",
    "group_with": "Vous êtes dans le groupe {number} avec {names}.",
    "group_alone": "Vous êtes dans le groupe {number}.",
    "group_and": "et",
    "group_someone": "une autre personne",
    "group_call": f"Votre appel{NBSP}:",
    "group_new_tab": "(s’ouvre dans un nouvel onglet)",
    "group_until": "Les groupes se réunissent jusqu’à {time}.",
    "groups_heading": "Travail en groupes",
    "groups_without_you": (
        f"Les groupes se réunissent{NNBSP}; demandez à l’équipe d’animation de vous ajouter à l’un d’eux."
    ),
    "live_groups_changed": "Les groupes ont changé.",
    "live_groups_ended": "Les groupes de travail sont terminés.",
    # Vérifier un certificat de présence (/verify/CODE)
    "verify_heading": "Vérifier un certificat",
    "verify_help": (
        f"Saisissez le code de vérification imprimé sur le certificat sous son code QR{NBSP}: vingt lettres et "
        "chiffres, comme 7KQ2-M9XD-0RTA-4WZE-C1HB."
    ),
    "verify_label": "Code de vérification",
    "verify_submit": "Vérifier",
    "verify_genuine_heading": "Certificat authentique",
    "verify_genuine_body": "Ce code a été délivré avec le certificat de présence décrit ci-dessous.",
    "verify_name": "Délivré à",
    "verify_course": "Formation",
    "verify_dates": "Dates",
    "verify_location": "Lieu",
    "verify_hours": "Présence",
    "verify_hours_value": f"{{hours}}{NBSP}heures",
    "verify_issuer": "Délivré par",
    "verify_code": "Code",
    "verify_not_genuine_heading": "Certificat non authentique",
    "verify_not_genuine_body": (
        "Aucun certificat de cette formation ne porte ce code. Vérifiez qu’il a été saisi exactement comme il est "
        "imprimé, ou adressez-vous à l’équipe organisatrice."
    ),
    "verify_too_many": "Trop de codes vérifiés depuis ce réseau. Patientez une minute, puis réessayez.",
    "month_names": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}

CATALOGUES: Mapping[str, Mapping[str, str]] = {"en": EN, "fr": FR}


def number(value: int, language: str) -> str:
    """``value`` as each language groups digits: 4,000 in English, 4 000 (a narrow no-break space) in French."""
    grouped = f"{value:,}"
    return grouped.replace(",", NNBSP) if language == "fr" else grouped


@functools.lru_cache(maxsize=64)  # a room's phones send a few different headers; each request asks a few times
def choose(query: str | None, accept_language: str | None) -> str:
    """The page's language: ``?lang=`` when it names one we have, else the browser's preference, else English."""
    if query is not None and query in CATALOGUES:
        return query
    best, best_q = DEFAULT, -1.0
    for index, item in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        # Earlier tags win ties, as browsers list them in order of preference.
        if primary in CATALOGUES and q > best_q and q > 0:
            best, best_q = primary, q - index * 1e-6
    return best
