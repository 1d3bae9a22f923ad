"""The demo's CSV file: a shop's customer export with French headers, made up row by row.

The file is written at each start of the demo, and it is the same for a given day. A seeded
random generator picks invented names. The consent dates count back from the day of the demo,
so that no implied consent has expired. It is what Excel saves as "CSV UTF-8" in a French
locale: a byte order mark, semicolons and CRLF line ends. Every address is under a domain
reserved for examples. The rows named below are set apart to show how the import treats an
existing contact, an unsubscribed one, a repeated address and an impossible date. Row numbers count the header as row 1, like a spreadsheet
and the import report.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from datetime import date, timedelta
from pathlib import Path

CSV_FILE = "clients-boutique.csv"
ROW_COUNT = 500
HEADERS = ("Courriel", "Prénom", "Nom", "Entreprise", "Genre", "Langue", "Date de naissance",
           "Code postal", "Pays", "Groupes", "Date de consentement", "Preuve de consentement")
RANDOM_SEED = 20241204

# A contact of the starting data: the import only adds it to the row's groups.
EXISTING_CONTACT_ROW = 120
EXISTING_CONTACT = ("Etienne.Lavoie@example.com", "Étienne", "Lavoie")
# An unsubscribed contact of the starting data: the import skips it.
UNSUBSCRIBED_ROW = 333
UNSUBSCRIBED_CONTACT = ("luc.pelletier@example.com", "Luc", "Pelletier")
# Rows that repeat the address of an earlier row, with other letter case: the import skips them.
REPEATED_ROWS = {41: 13, 251: 200}
# A birth date that does not exist: the import leaves it out with a warning.
INVALID_BIRTHDATE_ROW = 77
INVALID_BIRTHDATE = "31/02/1988"

WOMEN = ("Geneviève", "Chloé", "Émilie", "Isabelle", "Nathalie", "Sophie", "Catherine",
         "Marie-Ève", "Audrey", "Mélanie", "Julie", "Valérie", "Stéphanie", "Andrée-Anne",
         "Josée", "Annie", "Karine", "Noémie", "Léa", "Rosalie", "Camille", "Florence",
         "Maude", "Gabrielle", "Béatrice", "Éloïse", "Clémence", "Océane", "Amélie", "Hélène",
         "Solange", "Ginette", "Francine", "Lucie", "Manon", "Marjolaine", "Danielle",
         "Laurence", "Frédérique", "Anaïs")
MEN = ("Marc-André", "Étienne", "Olivier", "Jean-François", "Mathieu", "François", "Luc",
       "Sébastien", "Jérôme", "Benoît", "Alexandre", "Maxime", "Simon", "Philippe", "Gabriel",
       "Samuel", "Félix", "Louis", "Antoine", "Guillaume", "Nicolas", "Pierre-Luc", "Éric",
       "Réjean", "Gilles", "Michel", "André", "Denis", "Raphaël", "Thomas", "Zacharie",
       "Charles-Antoine", "Hugo", "Émile", "Rémi", "Xavier", "Vincent", "Yannick", "Jacques",
       "Léo")
LAST_NAMES = ("Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie",
              "Fortin", "Gagné", "Ouellet", "Pelletier", "Bélanger", "Lévesque", "Bergeron",
              "Leblanc", "Paquette", "Girard", "Simard", "Boucher", "Caron", "Beaulieu",
              "Cloutier", "Dubé", "Poirier", "Fournier", "Lapointe", "Leclerc", "Lefebvre",
              "Poulin", "Thibault", "St-Pierre", "Nadeau", "Martin", "Landry", "Martel",
              "Bédard", "Grenier", "Lessard", "Bernier", "Richard", "Michaud", "Hébert",
              "Desjardins", "Couture", "Turcotte", "Lachance", "Parent", "Blais", "Gosselin",
              "Savard", "Proulx", "Beaudoin", "Demers", "Perreault", "D'Amour", "Bérubé",
              "Thériault", "Vézina", "Lemieux")
COMPANIES = ("Café du Faubourg", "Boulangerie Saint-Roch", "Atelier Lachance",
             "Fromagerie des Cantons", "Érablière du Rang 4", "Quincaillerie Paquette",
             "Librairie La Virgule", "Traiteur Bon Appétit")
# First three characters of Québec postal codes: Québec City, Montréal, Sherbrooke…
FORWARD_SORTATION_AREAS = ("G1R", "G1V", "G1K", "G2J", "H2X", "H2J", "H3B", "H1V", "J4K",
                           "J1H", "G9A", "G7H", "J8Y", "G5L", "G6V", "J7Y", "G8T")
POSTAL_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"
# Under the .example top-level domain, reserved for examples (RFC 2606). The sandbox's
# starting data and the bundled webhook events use example.com, .org and .net, so no generated
# address can match one of theirs by chance.
DOMAINS = ("courriel.example", "poste.example", "boite.example")
PROOF = "Achat en boutique, facture {number}"


def write_contacts_csv(path: Path, today: date) -> Path:
    """Write the export to ``path`` and return it."""
    with path.open("w", encoding="utf-8-sig", newline="") as output:
        writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADERS)
        writer.writerows(contact_rows(today))
    return path


def contact_rows(today: date) -> list[list[str]]:
    """Return the data rows, row 2 first, in the order of :data:`HEADERS`."""
    generator = random.Random(RANDOM_SEED)
    people = [(first, "Femme", last) for first in WOMEN for last in LAST_NAMES]
    people += [(first, "Homme", last) for first in MEN for last in LAST_NAMES]
    chosen = generator.sample(people, ROW_COUNT)

    rows: list[list[str]] = []
    for index, (first_name, gender, last_name) in enumerate(chosen):
        number = index + 2
        rows.append(_row(generator, number, first_name, gender, last_name, today))

    _replace_person(rows[EXISTING_CONTACT_ROW - 2], *EXISTING_CONTACT, gender="Homme")
    _replace_person(rows[UNSUBSCRIBED_ROW - 2], *UNSUBSCRIBED_CONTACT, gender="Homme")
    for number, earlier in REPEATED_ROWS.items():
        source = rows[earlier - 2]
        email = source[0]
        _replace_person(rows[number - 2], email[:1].upper() + email[1:], source[1], source[2],
                        gender=source[4])
    rows[INVALID_BIRTHDATE_ROW - 2][6] = INVALID_BIRTHDATE
    return rows


def _row(generator: random.Random, number: int, first_name: str, gender: str, last_name: str,
         today: date) -> list[str]:
    domain = generator.choice(DOMAINS)
    email = f"{_address_part(first_name)}.{_address_part(last_name)}@{domain}"
    company = generator.choice(COMPANIES) if generator.random() < 0.15 else ""
    shown_gender = gender if generator.random() < 0.92 else ""
    language = generator.choices(("Français", "Anglais", ""), weights=(75, 20, 5))[0]
    birthdate = ""
    if generator.random() < 0.9:
        born = date(1950, 1, 1) + timedelta(days=generator.randrange(0, 20_000))
        birthdate = born.strftime("%d/%m/%Y")
    country = generator.choices(("Canada", "France", "États-Unis"), weights=(94, 3, 3))[0]
    postal_code = _postal_code(generator) if country == "Canada" else f"{generator.randrange(10_000, 99_999)}"
    groups = "Clients boutique, Événements" if generator.random() < 0.2 else "Clients boutique"
    consent_date = (today - timedelta(days=generator.randrange(3, 540))).isoformat()
    proof = PROOF.format(number=10_000 + number * 3)
    return [email, first_name, last_name, company, shown_gender, language, birthdate, postal_code,
            country, groups, consent_date, proof]


def _replace_person(row: list[str], email: str, first_name: str, last_name: str, *,
                    gender: str) -> None:
    row[0:3] = [email, first_name, last_name]
    row[4] = gender


def _postal_code(generator: random.Random) -> str:
    area = generator.choice(FORWARD_SORTATION_AREAS)
    local = (f"{generator.randrange(10)}{generator.choice(POSTAL_LETTERS)}"
             f"{generator.randrange(10)}")
    return f"{area} {local}"


def _address_part(name: str) -> str:
    # "Marie-Ève" becomes "marie-eve" and "D'Amour" becomes "damour".
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return "".join(char for char in plain if char.isalnum() or char == "-")
