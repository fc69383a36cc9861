"""Listing titles and descriptions in the plain English of a marketplace listing.

The text is where a package's hidden sector shows: the debtor's business, a building's use or
the kind of equipment is named in words drawn from the sector's phrase book. Some descriptions
also leak a debtor's personal data, as seller-written text does in real markets.
"""

from __future__ import annotations

import re

import numpy as np

from data.contract import ASSET_TYPES, LITIGATION_STATUSES, PROVINCES, SELLER_TYPES

from .geography import CITIES, ID_PROVINCE_CODE
from .listings import Listings
from .names import person_names
from .personal_data import bank_card_numbers, mobile_numbers, resident_ids
from .sectors import PHRASES, SECTORS

# Share of descriptions that carry a debtor's personal data.
PERSONAL_DATA_SHARE = 0.15

_SELLER_PHRASE: dict[str, tuple[str, ...]] = {
    "bank": ("a city commercial bank", "a joint-stock commercial bank", "a rural commercial bank"),
    "national_amc": ("a national asset management company",),
    "local_amc": ("a provincial asset management company", "a local AMC"),
    "court": ("the Intermediate People's Court", "the District People's Court"),
    "trust": ("a trust company",),
    "enterprise": ("the owner company", "a corporate creditor"),
}
_LITIGATION_SENTENCE: dict[str, str] = {
    "none": "No lawsuit has been filed yet.",
    "in_litigation": "Recovery proceedings are pending before the local court.",
    "judgment": "A final judgment in favour of the creditor has been obtained.",
    "enforcement": "The case is at the court enforcement stage.",
    "bankruptcy": "The debtor has entered bankruptcy reorganisation.",
}
_COLLATERAL_SENTENCE: dict[str, str] = {
    "secured": "The claims are secured by first-ranking mortgages.",
    "guaranteed": "The loans are guaranteed by shareholders and third-party guarantors.",
    "unsecured": "The claims are unsecured.",
}
_DD_SENTENCES = (
    (0.85, "The data room is complete: loan files, collateral documents and court papers are available."),
    (0.6, "Most loan files and legal documents are in the data room."),
    (0.35, "The data room is partial; some files are still being collected."),
    (-1.0, "Documentation is limited and the assets are sold as they are."),
)
_PII_TEMPLATES = (
    "Debtor {name} (ID {id}, mobile {mobile}) has not repaid since the loan fell due.",
    "Guarantor: {name}, resident ID {id}, tel. {mobile}; repayment account {card}.",
    "Borrower {name}, ID no. {id}, contact {mobile}, salary card {card} was frozen by court order.",
    "Main debtor {name} (ID {id}) can be reached on {mobile}.",
)
# "a" before a vowel reads as "an" ("an auto-parts manufacturer", "an Ordos developer").
_ARTICLE = re.compile(r"\ba (?=[aeiouAEIOU])")


def _pick(options: tuple[str, ...], u: float) -> str:
    return options[int(u * len(options)) % len(options)]


def _millions(amount: float) -> str:
    return f"RMB {amount / 1e6:,.2f} million"


def _title(kind: str, p: dict[str, object], u: np.ndarray) -> str:
    """Title of one package; ``p`` holds its words and numbers, ``u`` uniform draws."""
    city, prov, tag, n = p["city"], p["province"], p["tag"], p["loans"]
    tagged = f" – {tag}" if u[0] < 0.5 else ""
    if kind == "consumer_loan":
        if u[1] < 0.5:
            return f"{prov} consumer loan NPL portfolio – {n:,} loans, {city}"
        return f"Unsecured consumer credit pool ({n:,} borrowers), {city}{tagged}"
    if kind == "sme_loan":
        if n == 1:
            return f"SME loan claim against a {city} {p['business']}"
        return f"{city} SME loan package – {n} claims{tagged}"
    if kind == "corporate_loan":
        if n == 1:
            return f"Corporate NPL: claim against a {city} {p['business']} ({_millions(p['claim'])})"
        return f"{prov} corporate loan portfolio – {n} debtors{tagged}"
    if kind == "residential":
        if u[1] < 0.5:
            return f"Residential unit of {p['area']} sqm in {city}"
        sale = "Judicial sale" if p["court"] else "Repossessed home"
        return f"{sale}: {p['rooms']}-bedroom apartment, {city}, {prov}"
    if kind in ("commercial_property", "industrial_property"):
        label = "Commercial property" if kind == "commercial_property" else "Industrial property"
        return f"{label}, {city}: {p['premises']}"
    if kind == "land":
        return f"Land use right, {p['land_area']:,} sqm, {city} – zoned for {p['land']}"
    if kind == "equity_stake":
        return f"{p['stake']}% equity stake in a {city} {p['business']}"
    if kind == "trust_beneficiary_right":
        return f"Trust beneficiary right – loan to a {prov} {p['business']}"
    if kind == "receivables":
        return f"Receivables package ({n} obligors, {tag}), {city}"
    if kind == "equipment":
        return f"Equipment: {p['gear']}, {city}"
    return f"Vehicle lot: {p['fleet']}, {city}"


def _intro(kind: str, p: dict[str, object]) -> str:
    """Opening sentences: what the asset is and the sector behind it."""
    city, prov, n = p["city"], p["province"], p["loans"]
    seller = p["seller"]
    if kind == "consumer_loan":
        return (
            f"Non-performing consumer loans originated by {seller} in {city}, {prov}. "
            f"Borrowers are mainly {p['workers']}."
        )
    if kind == "sme_loan":
        if n == 1:
            return f"A single non-performing loan to a {p['business']} in {city}, offered by {seller}."
        return (
            f"{n} non-performing loans to small businesses around {city}; the largest debtors are "
            f"a {p['business']} and a {p['business2']}."
        )
    if kind == "corporate_loan":
        if n == 1:
            return f"Claim against a {p['business']} based in {city}, {prov}, offered by {seller}."
        return f"{n} corporate claims offered by {seller}; the main debtor is a {p['business']} in {city}."
    if kind == "residential":
        return f"A {p['area']} sqm apartment in a {p['homes']} in {city}, offered by {seller}."
    if kind in ("commercial_property", "industrial_property"):
        return f"The asset is a {p['premises']} in {city}, {prov}, with {p['floor']:,} sqm of floor area."
    if kind == "land":
        return (
            f"State-owned construction land use right of {p['land_area']:,} sqm in {city}, "
            f"planned for {p['land']}."
        )
    if kind == "equity_stake":
        return f"{p['stake']}% of the registered capital of a {p['business']} headquartered in {city}."
    if kind == "trust_beneficiary_right":
        return (
            f"Beneficiary right in a collective trust plan whose underlying loan went to a "
            f"{p['business']} in {city}."
        )
    if kind == "receivables":
        return f"Overdue trade receivables from {n} obligors; the largest is a {p['business']} in {city}."
    if kind == "equipment":
        return f"{str(p['gear']).capitalize()} repossessed from a {p['business']} in {city}."
    return f"{n} vehicles including {p['fleet']}, repossessed from a {p['business']} in {city}."


def _facts(kind: str, p: dict[str, object]) -> str:
    """Amounts the seller states."""
    if np.isnan(p["appraised"]):
        appraisal = "No formal appraisal report is available yet."
    else:
        appraisal = f"Appraised at {_millions(p['appraised'])}."
    if kind in ("consumer_loan", "sme_loan", "corporate_loan", "trust_beneficiary_right", "receivables"):
        base = (
            f"Outstanding principal {_millions(p['principal'])}; total claim including interest "
            f"and penalties {_millions(p['claim'])}."
        )
        return f"{base} {appraisal}" if p["secured"] else base
    return appraisal


def _dd_sentence(dd: float) -> str:
    return next(text for threshold, text in _DD_SENTENCES if dd >= threshold)


def listing_texts(
    rng: np.random.Generator, pii_rng: np.random.Generator, listings: Listings
) -> tuple[list[str], list[str]]:
    """Title and description of every package.

    ``pii_rng`` draws only the planted personal data, so that data never shifts other draws.
    """
    n = len(listings.asset_type)
    u = rng.random((n, 12))
    area = np.round(np.clip(listings.principal / rng.uniform(8_000, 40_000, n), 35, 400)).astype(int)
    rooms = np.clip(area // 35, 1, 5)
    floor_area = np.round(np.clip(listings.principal / rng.uniform(3_000, 12_000, n), 200, 200_000)).astype(
        int
    )
    land_area = (
        np.round(np.clip(listings.principal / rng.uniform(800, 6_000, n), 2_000, 800_000) / 100) * 100
    ).astype(int)
    stake = rng.choice(np.array([5, 10, 15, 20, 25, 30, 35, 40, 49, 51, 60, 70, 100]), n)

    with_pii = pii_rng.random(n) < PERSONAL_DATA_SHARE
    pii_rows = np.flatnonzero(with_pii)
    codes = np.array([ID_PROVINCE_CODE[p] for p in PROVINCES])[listings.province[pii_rows]]
    ids = resident_ids(pii_rng, codes, listings.city_index[pii_rows])
    mobiles = mobile_numbers(pii_rng, len(pii_rows))
    cards = bank_card_numbers(pii_rng, len(pii_rows))
    people = person_names(pii_rng, len(pii_rows))
    template = pii_rng.integers(0, len(_PII_TEMPLATES), len(pii_rows))
    pii_text: dict[int, str] = {}
    for k, row in enumerate(pii_rows):
        fill = {"name": people[k], "id": ids[k], "mobile": mobiles[k], "card": cards[k]}
        pii_text[int(row)] = _PII_TEMPLATES[template[k]].format(**fill)

    titles: list[str] = []
    descriptions: list[str] = []
    for j in range(n):
        kind = ASSET_TYPES[listings.asset_type[j]]
        province = PROVINCES[listings.province[j]]
        phrases = PHRASES[SECTORS[listings.sector[j]]]
        seller_type = SELLER_TYPES[listings.seller[j]]
        uj = u[j]
        p = {
            "city": CITIES[province][listings.city_index[j]],
            "province": province,
            "loans": int(listings.loan_count[j]),
            "tag": _pick(phrases["tag"], uj[2]),
            "business": _pick(phrases["business"], uj[3]),
            "business2": _pick(phrases["business"], (uj[3] + 0.5) % 1.0),
            "workers": _pick(phrases["workers"], uj[4]),
            "premises": _pick(phrases["premises"], uj[5]),
            "land": _pick(phrases["land"], uj[6]),
            "homes": _pick(phrases["homes"], uj[7]),
            "gear": _pick(phrases["gear"], uj[8]),
            "fleet": _pick(phrases["fleet"], uj[8]),
            "seller": _pick(_SELLER_PHRASE[seller_type], uj[9]),
            "court": seller_type == "court",
            "principal": float(listings.principal[j]),
            "claim": float(listings.claim[j]),
            "appraised": float(listings.appraised[j]),
            "secured": listings.collateral[j] == 0,
            "rooms": int(rooms[j]),
            "area": int(area[j]),
            "floor": int(floor_area[j]),
            "land_area": int(land_area[j]),
            "stake": int(stake[j]),
        }
        titles.append(_ARTICLE.sub("an ", _title(kind, p, uj)))
        parts = [_ARTICLE.sub("an ", _intro(kind, p)), _facts(kind, p)]
        if kind in ("consumer_loan", "sme_loan", "corporate_loan", "receivables", "trust_beneficiary_right"):
            parts.append(_COLLATERAL_SENTENCE[("secured", "guaranteed", "unsecured")[listings.collateral[j]]])
        parts.append(_LITIGATION_SENTENCE[LITIGATION_STATUSES[listings.litigation[j]]])
        if j in pii_text:
            parts.append(pii_text[j])
        parts.append(_dd_sentence(float(listings.dd[j])))
        if listings.cross_border[j]:
            parts.append("Open to qualified foreign investors (a cross-border transfer filing is required).")
        descriptions.append(" ".join(parts))
    return titles, descriptions
