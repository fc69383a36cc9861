"""Where things are: listing volume, cities, regional recovery and resident-ID region codes.

The market's regional economics live here so that pricing (``listings``), the hidden tastes
(``tastes``) and the fake debtor data (``personal_data``) agree on one geography.
"""

from __future__ import annotations

import numpy as np

from data.contract import PROVINCES, REGION_OF_PROVINCE, REGIONS

# Relative listing volume per province: roughly economic weight, so the east coast lists most.
PROVINCE_WEIGHT: dict[str, float] = {
    "Guangdong": 11.0, "Jiangsu": 10.0, "Zhejiang": 8.0, "Shandong": 7.5, "Shanghai": 5.0,
    "Fujian": 4.5, "Beijing": 4.0, "Henan": 4.0, "Sichuan": 4.0, "Hubei": 3.5, "Hunan": 3.2,
    "Anhui": 3.0, "Hebei": 3.0, "Chongqing": 2.2, "Shaanxi": 2.0, "Liaoning": 2.0, "Jiangxi": 2.0,
    "Yunnan": 1.8, "Guangxi": 1.8, "Tianjin": 1.5, "Shanxi": 1.5, "InnerMongolia": 1.2,
    "Guizhou": 1.2, "Heilongjiang": 1.2, "Jilin": 1.0, "Xinjiang": 1.0, "Gansu": 0.7,
    "Hainan": 0.6, "Ningxia": 0.3, "Qinghai": 0.25, "Tibet": 0.1,
}  # fmt: skip

# Cities (districts for the four municipalities), most-listed first.
CITIES: dict[str, tuple[str, ...]] = {
    "Beijing": ("Chaoyang", "Haidian", "Fengtai", "Tongzhou", "Daxing"),
    "Tianjin": ("Binhai", "Heping", "Xiqing", "Wuqing"),
    "Hebei": ("Shijiazhuang", "Tangshan", "Baoding", "Langfang", "Handan"),
    "Shanxi": ("Taiyuan", "Datong", "Changzhi", "Jinzhong"),
    "InnerMongolia": ("Hohhot", "Baotou", "Ordos", "Chifeng"),
    "Liaoning": ("Shenyang", "Dalian", "Anshan", "Yingkou"),
    "Jilin": ("Changchun", "Jilin", "Siping"),
    "Heilongjiang": ("Harbin", "Daqing", "Qiqihar", "Mudanjiang"),
    "Shanghai": ("Pudong", "Minhang", "Jiading", "Songjiang", "Baoshan"),
    "Jiangsu": ("Suzhou", "Nanjing", "Wuxi", "Changzhou", "Nantong", "Xuzhou"),
    "Zhejiang": ("Hangzhou", "Ningbo", "Wenzhou", "Shaoxing", "Jiaxing", "Taizhou"),
    "Anhui": ("Hefei", "Wuhu", "Bengbu", "Anqing"),
    "Fujian": ("Xiamen", "Fuzhou", "Quanzhou", "Zhangzhou"),
    "Jiangxi": ("Nanchang", "Ganzhou", "Jiujiang", "Shangrao"),
    "Shandong": ("Qingdao", "Jinan", "Yantai", "Weifang", "Linyi", "Zibo"),
    "Henan": ("Zhengzhou", "Luoyang", "Nanyang", "Xinxiang"),
    "Hubei": ("Wuhan", "Yichang", "Xiangyang", "Jingzhou"),
    "Hunan": ("Changsha", "Zhuzhou", "Hengyang", "Yueyang"),
    "Guangdong": ("Shenzhen", "Guangzhou", "Dongguan", "Foshan", "Huizhou", "Zhuhai"),
    "Guangxi": ("Nanning", "Liuzhou", "Guilin", "Beihai"),
    "Hainan": ("Haikou", "Sanya", "Danzhou"),
    "Chongqing": ("Yubei", "Jiangbei", "Shapingba", "Wanzhou"),
    "Sichuan": ("Chengdu", "Mianyang", "Deyang", "Yibin"),
    "Guizhou": ("Guiyang", "Zunyi", "Liupanshui"),
    "Yunnan": ("Kunming", "Qujing", "Dali", "Lijiang"),
    "Tibet": ("Lhasa", "Shigatse"),
    "Shaanxi": ("Xi'an", "Baoji", "Xianyang", "Yulin"),
    "Gansu": ("Lanzhou", "Tianshui", "Jiuquan"),
    "Qinghai": ("Xining", "Haidong"),
    "Ningxia": ("Yinchuan", "Shizuishan"),
    "Xinjiang": ("Urumqi", "Karamay", "Korla", "Kashgar"),
}

# Share of the claim a buyer recovers and how many months it takes, by region: the east coast
# recovers about 45 % in 14 months, the north-east and north-west about 25 % in 30 months.
REGION_RECOVERY: dict[str, tuple[float, float]] = {
    "east_coast": (0.45, 14.0),
    "north_coast": (0.38, 18.0),
    "central": (0.34, 21.0),
    "south_west": (0.31, 24.0),
    "north_east": (0.25, 30.0),
    "north_west": (0.25, 30.0),
}

# First two digits of a resident ID number: the province's administrative division code.
ID_PROVINCE_CODE: dict[str, int] = {
    "Beijing": 11, "Tianjin": 12, "Hebei": 13, "Shanxi": 14, "InnerMongolia": 15, "Liaoning": 21,
    "Jilin": 22, "Heilongjiang": 23, "Shanghai": 31, "Jiangsu": 32, "Zhejiang": 33, "Anhui": 34,
    "Fujian": 35, "Jiangxi": 36, "Shandong": 37, "Henan": 41, "Hubei": 42, "Hunan": 43,
    "Guangdong": 44, "Guangxi": 45, "Hainan": 46, "Chongqing": 50, "Sichuan": 51, "Guizhou": 52,
    "Yunnan": 53, "Tibet": 54, "Shaanxi": 61, "Gansu": 62, "Qinghai": 63, "Ningxia": 64,
    "Xinjiang": 65,
}  # fmt: skip

EAST_COAST = "east_coast"


def province_weights() -> np.ndarray:
    """Listing probability per province, in contract order."""
    weights = np.array([PROVINCE_WEIGHT[p] for p in PROVINCES], dtype=np.float64)
    return weights / weights.sum()


def region_index_of_province() -> np.ndarray:
    """Region index (into ``REGIONS``) of each province, in contract order."""
    return np.array([REGIONS.index(REGION_OF_PROVINCE[p]) for p in PROVINCES], dtype=np.int64)


def recovery_by_province() -> tuple[np.ndarray, np.ndarray]:
    """Expected recovery rate and months to recover of each province, in contract order."""
    rates = np.array([REGION_RECOVERY[REGION_OF_PROVINCE[p]][0] for p in PROVINCES])
    months = np.array([REGION_RECOVERY[REGION_OF_PROVINCE[p]][1] for p in PROVINCES])
    return rates, months


def draw_city_index(rng: np.random.Generator, province: np.ndarray) -> np.ndarray:
    """A city per row, Zipf-weighted so that each province's first city lists most.

    Returns the index into ``CITIES[province]``; the same index also forms the city digits of
    a debtor's resident ID, so an ID looks like it was issued in the listing's city.
    """
    u = rng.random(len(province))
    counts = np.array([len(CITIES[p]) for p in PROVINCES])
    out = np.zeros(len(province), dtype=np.int64)
    for p_idx, n_cities in enumerate(counts):
        rows = np.flatnonzero(province == p_idx)
        if rows.size == 0:
            continue
        weights = 1.0 / np.arange(1, n_cities + 1)
        cdf = np.cumsum(weights / weights.sum())
        out[rows] = np.minimum(np.searchsorted(cdf, u[rows], side="right"), n_cities - 1)
    return out


def city_names(province: np.ndarray, city_index: np.ndarray) -> np.ndarray:
    """City names for (province index, city index) pairs, as an object array."""
    table = np.array([[*CITIES[p], *([""] * (8 - len(CITIES[p])))] for p in PROVINCES], dtype=object)
    return table[province, city_index]
