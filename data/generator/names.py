"""Display names: people in pinyin and fictitious organisations, one per investor.

Names only decorate the market; no behaviour depends on them. Organisation names are
invented from neutral syllables so they do not impersonate real institutions.
"""

from __future__ import annotations

import numpy as np

from data.contract import INVESTOR_TYPES, PROVINCES

from .geography import CITIES

SURNAMES: tuple[str, ...] = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma",
    "Zhu", "Hu", "Guo", "He", "Gao", "Lin", "Luo", "Zheng", "Liang", "Xie", "Song", "Tang", "Han",
    "Feng", "Deng", "Cao", "Peng", "Zeng", "Xiao", "Tian", "Dong", "Pan", "Yuan", "Cai", "Jiang",
)  # fmt: skip
GIVEN_NAMES: tuple[str, ...] = (
    "Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yong", "Yan", "Jie",
    "Tao", "Ming", "Chao", "Xiuying", "Xia", "Ping", "Gang", "Hui", "Hao", "Yu", "Xin", "Lin", "Bo",
    "Jian", "Hong", "Zhiqiang", "Haiyan", "Guiying", "Dan", "Yuxuan", "Zihan", "Haoran", "Ting",
)  # fmt: skip
_PREFIXES: tuple[str, ...] = (
    "Anhe", "Boyuan", "Chengxin", "Dahua", "Dingsheng", "Fuyuan", "Hengtai", "Huaxin", "Jiahe",
    "Jinyuan", "Longsheng", "Mingde", "Qianyuan", "Ruifeng", "Shengda", "Taifeng", "Tianhe",
    "Wanrong", "Xinghe", "Yongxin", "Yuanda", "Zhongcheng", "Zhonghe", "Hongyun", "Jiaxin",
)  # fmt: skip
_INDUSTRIES: tuple[str, ...] = (
    "Industrial", "Holdings", "Manufacturing", "Construction", "Energy", "Logistics", "Property",
    "Pharmaceutical", "Textile", "Steel", "Agricultural", "Technology",
)  # fmt: skip
_FOREIGN_WORDS: tuple[str, ...] = (
    "Harbourview", "Meridian", "Northgate", "Crescent", "Pinnacle", "Redwood", "Silverline",
    "Eastbridge", "Lionrock", "Kowloon Bay", "Stonecutter", "Tidewater", "Marlow", "Ashford",
)  # fmt: skip
_FOREIGN_SUFFIXES: tuple[str, ...] = (
    "Capital Asia", "Special Situations Fund", "Asset Management (Hong Kong)", "Credit Partners",
    "Distressed Opportunities LP", "Investments Pte. Ltd.",
)  # fmt: skip
_FUND_SUFFIXES: tuple[str, ...] = (
    "Capital Partners (LP)", "Special Situations Fund", "Investment Management Co., Ltd.",
    "Equity Investment Partnership", "Asset Investment Fund",
)  # fmt: skip


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` pinyin person names, surname first as Chinese names are written."""
    surname = rng.integers(0, len(SURNAMES), n)
    given = rng.integers(0, len(GIVEN_NAMES), n)
    return [f"{SURNAMES[s]} {GIVEN_NAMES[g]}" for s, g in zip(surname, given, strict=True)]


def investor_names(rng: np.random.Generator, investor_type: np.ndarray, province: np.ndarray) -> list[str]:
    """One display name per investor, shaped by its type (a person for ``individual``)."""
    n = len(investor_type)
    people = person_names(rng, n)
    prefix = rng.integers(0, len(_PREFIXES), n)
    pick = rng.integers(0, 1_000, n)
    names: list[str] = []
    for i in range(n):
        kind = INVESTOR_TYPES[investor_type[i]]
        home = PROVINCES[province[i]]
        word = _PREFIXES[prefix[i]]
        if kind == "individual":
            names.append(people[i])
        elif kind == "national_amc":
            names.append(f"{word} National Asset Management Co., Ltd.")
        elif kind == "local_amc":
            names.append(f"{home} {word} Asset Management Co., Ltd.")
        elif kind == "bank":
            city = CITIES[home][pick[i] % len(CITIES[home])]
            kinds = ("Commercial Bank", "Rural Commercial Bank", "Bank Financial Asset Investment Co., Ltd.")
            names.append(f"{city} {word} {kinds[pick[i] % len(kinds)]}")
        elif kind == "private_fund":
            names.append(f"{word} {_FUND_SUFFIXES[pick[i] % len(_FUND_SUFFIXES)]}")
        elif kind == "industrial_capital":
            names.append(f"{word} {_INDUSTRIES[pick[i] % len(_INDUSTRIES)]} Group Co., Ltd.")
        else:
            foreign = _FOREIGN_WORDS[pick[i] % len(_FOREIGN_WORDS)]
            names.append(f"{foreign} {_FOREIGN_SUFFIXES[prefix[i] % len(_FOREIGN_SUFFIXES)]}")
    return names
