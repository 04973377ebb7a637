"""Every string the participant page shows, in English and French: one place to translate.

Templates use ``t.key``; participant text is never put in here, only the page's own words.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "fr")
DEFAULT = "en"

EN: Mapping[str, str] = {
    "title": "Workshop check-in",
    "language_switch": "Français",
    "enter_heading": "Enter the code on the screen",
    "enter_help": "Type the twelve letters and digits shown under the QR code, like abcd-efgh-ijkl.",
    "enter_label": "Code",
    "enter_submit": "Continue",
    "enter_invalid": "That is not a code from the screen: it has twelve letters and digits.",
    "link_invalid_heading": "This link does not work (any more)",
    "link_invalid_body": "Codes change during the day. Scan the QR code on the screen again, or type the code shown.",
    "enter_again": "Type a code",
    "identify_heading": "Who are you?",
    "identify_help": "Give the e-mail address you registered with, or the personal code you received, or both.",
    "identify_help_code": (
        "Give the personal code you received with your invitation, and the e-mail address you registered with."
    ),
    "email_label": "E-mail",
    "code_label": "Personal code",
    "identify_submit": "Check in",
    "no_match": "We could not match these details. Check them and try again, or ask to be added below.",
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
    "code_only_busy": "Too many tries with a code alone just now. Give your e-mail address with your code.",
    "back": "Back",
    "at_location": "Location",
    "checked_in_now": "You are checked in (at {time}).",
    "checked_in_already": "You are already checked in (since {time}).",
    "not_checked_in": "You are not checked in here.",
    "check_in_submit": "Check in",
    "check_out_help": "Leaving? Tell us, so the register shows when you left.",
    "check_out_submit": "I’m leaving",
    "checked_out": "You are checked out (since {time}). Check in again when you are back.",
    "not_in_to_leave": "You were not checked in, so there was nothing to check out.",
    "signed_in_as": "Signed in as",
    "not_you": "Not you? Sign out",
    "prompt_heading": "Reflection",
    "no_prompt": "There is no question to answer right now. This page updates when there is one.",
    "refresh": "Refresh",
    "prompt_changed": "The question has changed. Refresh to see the new one.",
    "prompt_changed_kept": "The question changed while you were writing. Your text is kept below.",
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
    "session_expired_heading": "Please reload the page",
    "session_expired_body": "The form had expired or came from somewhere else. Go back, reload and try again.",
    "too_many_heading": "Too many requests",
    "too_many_body": "Please wait a few seconds and try again.",
    "too_large_heading": "Too long",
    "too_large_body": "What you sent is too long.",
    "not_found_heading": "Page not found",
}

FR: Mapping[str, str] = {
    "title": "Inscription à l’atelier",
    "language_switch": "English",
    "enter_heading": "Saisissez le code affiché à l’écran",
    "enter_help": "Tapez les douze lettres et chiffres affichés sous le code QR, comme abcd-efgh-ijkl.",
    "enter_label": "Code",
    "enter_submit": "Continuer",
    "enter_invalid": "Ce n’est pas un code de l’écran : il compte douze lettres et chiffres.",
    "link_invalid_heading": "Ce lien ne fonctionne pas (ou plus)",
    "link_invalid_body": (
        "Les codes changent au cours de la journée. Scannez de nouveau le code QR à l’écran, ou tapez le code affiché."
    ),
    "enter_again": "Saisir un code",
    "identify_heading": "Qui êtes-vous ?",
    "identify_help": (
        "Indiquez l’adresse e-mail de votre inscription, ou le code personnel que vous avez reçu, ou les deux."
    ),
    "identify_help_code": (
        "Indiquez le code personnel reçu avec votre invitation, et l’adresse e-mail de votre inscription."
    ),
    "email_label": "E-mail",
    "code_label": "Code personnel",
    "identify_submit": "Enregistrer ma présence",
    "no_match": (
        "Nous n’avons pas pu retrouver ces informations. Vérifiez-les et réessayez, ou demandez à être ajouté "
        "ci-dessous."
    ),
    "request_heading": "Vous n’êtes pas sur la liste ?",
    "request_help": "Demandez à être ajouté : un animateur verra votre demande.",
    "name_label": "Votre nom",
    "request_submit": "Demander à être ajouté",
    "request_sent_heading": "Demande envoyée",
    "request_sent_body": (
        "Un animateur verra votre demande. Une fois ajouté, revenez ici et enregistrez votre présence avec votre "
        "e-mail."
    ),
    "request_sent_body_code": "Un animateur verra votre demande et enregistrera votre présence.",
    "request_invalid": "Indiquez votre nom et une adresse e-mail valide.",
    "request_too_many": (
        "Trop de demandes depuis cet endroit. Patientez une minute et réessayez, ou adressez-vous à un animateur."
    ),
    "code_only_busy": "Trop d’essais avec un code seul en ce moment. Indiquez votre adresse e-mail avec votre code.",
    "back": "Retour",
    "at_location": "Lieu",
    "checked_in_now": "Votre présence est enregistrée (à {time}).",
    "checked_in_already": "Votre présence est déjà enregistrée (depuis {time}).",
    "not_checked_in": "Votre présence n’est pas enregistrée ici.",
    "check_in_submit": "Enregistrer ma présence",
    "check_out_help": "Vous partez ? Dites-le, pour que la feuille de présence indique l’heure de votre départ.",
    "check_out_submit": "Je pars",
    "checked_out": "Votre départ est enregistré (depuis {time}). Enregistrez de nouveau votre présence à votre retour.",
    "not_in_to_leave": "Votre présence n’était pas enregistrée : il n’y avait pas de départ à enregistrer.",
    "signed_in_as": "Connecté en tant que",
    "not_you": "Ce n’est pas vous ? Se déconnecter",
    "prompt_heading": "Réflexion",
    "no_prompt": "Il n’y a pas de question pour le moment. Cette page se met à jour lorsqu’il y en a une.",
    "refresh": "Actualiser",
    "prompt_changed": "La question a changé. Actualisez pour voir la nouvelle.",
    "prompt_changed_kept": "La question a changé pendant que vous écriviez. Votre texte est conservé ci-dessous.",
    "anonymous_note": "Votre réponse est anonyme : votre nom n’est pas enregistré.",
    "named_note": "Votre réponse est enregistrée avec votre nom.",
    "choose_note": "Vous choisissez si votre nom accompagne votre réponse.",
    "show_name_label": "Enregistrer mon nom avec ma réponse",
    "reflection_label": "Votre réponse",
    "consent_label": ("Les organisateurs peuvent citer ma réponse (sans mon nom, sauf s’il est enregistré avec elle)."),
    "reflect_submit": "Envoyer",
    "reflection_sent": "Merci : votre réponse a été enregistrée.",
    "reflection_error": "Votre réponse n’a pas pu être enregistrée : {problem}",
    "reflection_empty": "elle est vide.",
    "reflection_too_long": "elle est trop longue ({limit} caractères au plus).",
    "session_expired_heading": "Veuillez recharger la page",
    "session_expired_body": (
        "Le formulaire avait expiré ou venait d’ailleurs. Revenez en arrière, rechargez et réessayez."
    ),
    "too_many_heading": "Trop de demandes",
    "too_many_body": "Veuillez patienter quelques secondes et réessayer.",
    "too_large_heading": "Trop long",
    "too_large_body": "Ce que vous avez envoyé est trop long.",
    "not_found_heading": "Page introuvable",
}

CATALOGUES: Mapping[str, Mapping[str, str]] = {"en": EN, "fr": FR}


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
