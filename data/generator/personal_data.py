"""Fake but well-formed debtor personal data: resident IDs, mobile numbers and bank cards.

Seller descriptions in a real market sometimes leak debtors' personal data. The generator
plants realistic-looking values (valid check digits included) so that masking has something
real to find; the values are random and never feed back into behaviour.
"""

from __future__ import annotations

import numpy as np

# ISO 7064 MOD 11-2 weights of the first 17 digits of a resident ID, and the check characters.
ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"

# Mobile prefixes of the three carriers (all 1[3-9]x) and debit-card issuer prefixes.
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
    "156", "157", "158", "159", "166", "170", "176", "177", "180", "181", "182", "183", "185", "186",
    "187", "188", "189", "191", "198", "199",
)  # fmt: skip
CARD_BINS: tuple[str, ...] = ("622202", "621700", "622848", "621661", "622588", "621483", "622609", "623668")

_BIRTH_START = np.datetime64("1958-01-01")
_BIRTH_END = np.datetime64("2003-12-31")


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def is_valid_resident_id(value: str) -> bool:
    """Whether ``value`` is 17 digits followed by their correct check character."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    return value[17].upper() == id_check_char(value[:17])


def luhn_check_digit(payload: str) -> str:
    """The Luhn digit that completes ``payload`` into a valid card number."""
    total = 0
    for pos, d in enumerate(reversed(payload)):
        v = int(d) * (2 if pos % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return str((10 - total % 10) % 10)


def is_valid_luhn(value: str) -> bool:
    """Whether the digit string ``value`` passes the Luhn check."""
    return value.isdigit() and len(value) > 1 and luhn_check_digit(value[:-1]) == value[-1]


def resident_ids(rng: np.random.Generator, province_code: np.ndarray, city_index: np.ndarray) -> list[str]:
    """18-character resident IDs issued in the given provinces and cities.

    Layout: 6-digit region (province, city, district), birth date YYYYMMDD, 3-digit sequence
    (odd for men), check character; the check character is 'X' when the checksum says 10.
    """
    n = len(province_code)
    district = rng.integers(1, 13, n)
    days = (_BIRTH_END - _BIRTH_START).astype(int)
    birth = (_BIRTH_START + rng.integers(0, days + 1, n).astype("timedelta64[D]")).astype(str)
    sequence = rng.integers(1, 1000, n)
    out = []
    for i in range(n):
        region = f"{province_code[i]:02d}{city_index[i] + 1:02d}{district[i]:02d}"
        first17 = f"{region}{birth[i].replace('-', '')}{sequence[i]:03d}"
        out.append(first17 + id_check_char(first17))
    return out


def mobile_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """11-digit mainland mobile numbers (1[3-9]x followed by 8 digits)."""
    prefix = rng.integers(0, len(MOBILE_PREFIXES), n)
    rest = rng.integers(0, 100_000_000, n)
    return [f"{MOBILE_PREFIXES[p]}{r:08d}" for p, r in zip(prefix, rest, strict=True)]


def bank_card_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """Debit-card numbers of 16 or 19 digits that pass the Luhn check."""
    bins = rng.integers(0, len(CARD_BINS), n)
    long_card = rng.random(n) < 0.6
    body = rng.integers(0, 10, (n, 12))
    out = []
    for i in range(n):
        width = 12 if long_card[i] else 9
        payload = CARD_BINS[bins[i]] + "".join(map(str, body[i, :width]))
        out.append(payload + luhn_check_digit(payload))
    return out
