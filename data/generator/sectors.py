"""The hidden debtor sector / property use of a package, and the words that betray it.

The sector is not a contract column: a package's sector shows only through the words of its
title and description, and investors' hidden tastes lean towards sectors. A recommender that
reads listing text can therefore learn something the structured columns do not tell.
"""

from __future__ import annotations

import numpy as np

from data.contract import ASSET_TYPES, PROVINCES

SECTORS: tuple[str, ...] = (
    "manufacturing",
    "construction",
    "retail",
    "hospitality",
    "logistics",
    "agriculture",
    "technology",
    "energy",
    "healthcare",
    "mining",
)

# Phrases by slot: ``business`` names a debtor or investee company, ``tag`` is a short title
# label, ``workers`` describes consumer borrowers, ``premises`` a building's use, ``land`` a
# zoning, ``homes`` a residential setting, ``gear`` equipment and ``fleet`` vehicles.
PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "manufacturing": {
        "business": (
            "auto-parts manufacturer",
            "precision machining workshop",
            "household-appliance maker",
            "metal-stamping factory",
            "furniture factory",
        ),
        "tag": ("factories", "auto-parts suppliers", "machinery makers"),
        "workers": (
            "assembly-line workers and technicians at auto-parts and appliance plants",
            "factory employees in the local machinery and hardware cluster",
        ),
        "premises": (
            "factory workshop with overhead cranes used for metal fabrication",
            "standard plant fitted out for injection moulding",
            "production hall of a former furniture factory",
        ),
        "land": ("industrial manufacturing use", "a machinery-industry park"),
        "homes": (
            "staff-housing compound built by a machinery plant",
            "estate next to the municipal manufacturing park",
        ),
        "gear": ("CNC machine tools and stamping presses", "an injection-moulding production line"),
        "fleet": ("forklifts and factory shuttle buses", "flatbed trucks of an auto-parts supplier"),
    },
    "construction": {
        "business": (
            "general building contractor",
            "property developer",
            "civil-engineering contractor",
            "precast-concrete and building-materials supplier",
        ),
        "tag": ("contractors", "property developers", "building materials"),
        "workers": (
            "site workers and foremen employed by local building contractors",
            "employees of construction and decoration companies",
        ),
        "premises": (
            "unfinished mixed-use development halted during construction",
            "precast-concrete yard with batching plant",
        ),
        "land": ("residential development by a property developer", "a stalled housing project"),
        "homes": (
            "developer's stalled housing project",
            "block a building contractor took over in lieu of payment",
        ),
        "gear": ("tower cranes, excavators and concrete pumps", "concrete batching and pumping equipment"),
        "fleet": ("concrete-mixer trucks and dump trucks", "crane trucks of a building contractor"),
    },
    "retail": {
        "business": (
            "supermarket chain",
            "shopping-mall operator",
            "wholesale market trader",
            "chain of convenience stores",
        ),
        "tag": ("retailers", "shopping mall", "supermarkets"),
        "workers": (
            "shop owners and sales staff on local shopping streets",
            "self-employed traders in a wholesale market",
        ),
        "premises": (
            "ground-floor shop units on a pedestrian shopping street",
            "two floors of a shopping mall with anchor supermarket",
            "wholesale market hall with 120 retail stalls",
        ),
        "land": ("commercial retail use", "a planned shopping centre"),
        "homes": ("block above a street of retail shops", "complex built on a shopping-mall podium"),
        "gear": (
            "refrigerated display cases and checkout systems",
            "shelving and cold rooms of a supermarket",
        ),
        "fleet": ("delivery vans of a supermarket chain", "refrigerated vans of a grocery wholesaler"),
    },
    "hospitality": {
        "business": (
            "business hotel operator",
            "restaurant and catering group",
            "resort operator",
            "travel and tourism company",
        ),
        "tag": ("hotel", "restaurants", "tourism"),
        "workers": ("restaurant, hotel and tourism employees", "catering staff and small restaurant owners"),
        "premises": (
            "four-star business hotel with 180 guest rooms",
            "restaurant and banquet floors in a catering complex",
            "boutique resort with guesthouse villas",
        ),
        "land": ("a tourism resort", "hotel and catering use"),
        "homes": ("seaside holiday resort", "serviced-apartment block run by a hotel operator"),
        "gear": ("commercial kitchen and catering equipment", "hotel laundry and kitchen equipment"),
        "fleet": ("tour coaches of a travel agency", "hotel shuttle buses and limousines"),
    },
    "logistics": {
        "business": (
            "freight-forwarding company",
            "cold-chain logistics operator",
            "trucking fleet operator",
            "warehousing and distribution company",
        ),
        "tag": ("logistics", "warehousing", "freight"),
        "workers": (
            "truck drivers and warehouse staff at regional logistics hubs",
            "couriers and delivery riders of express-delivery firms",
        ),
        "premises": (
            "high-bay warehouse with loading docks",
            "cold-chain storage facility near the port",
            "distribution centre beside the ring-road logistics hub",
        ),
        "land": ("a logistics park with warehousing use", "bonded-logistics warehousing"),
        "homes": ("compound near the port logistics zone", "estate beside a railway freight terminal"),
        "gear": ("forklifts, racking and conveyor sorting lines", "automated parcel-sorting equipment"),
        "fleet": ("heavy trucks and trailers of a freight fleet", "refrigerated cold-chain trucks"),
    },
    "agriculture": {
        "business": (
            "pig-farming cooperative",
            "grain and feed processor",
            "tea plantation company",
            "fruit and vegetable grower",
        ),
        "tag": ("farming", "agribusiness", "food processing"),
        "workers": (
            "farmers and agricultural cooperative members",
            "rural households growing grain and vegetables",
        ),
        "premises": (
            "grain-drying and storage plant",
            "livestock farm with feed mill",
            "greenhouse complex and cold room for vegetables",
        ),
        "land": ("agricultural processing use", "a modern-agriculture demonstration park"),
        "homes": ("township farming village", "county-town estate surrounded by farmland"),
        "gear": ("tractors and combine harvesters", "a feed-mill and grain-drying line"),
        "fleet": ("farm trucks and tractors of a grain cooperative", "livestock transport trucks"),
    },
    "technology": {
        "business": (
            "software developer",
            "electronics components maker",
            "internet platform company",
            "semiconductor packaging firm",
        ),
        "tag": ("tech firms", "electronics", "software"),
        "workers": (
            "software engineers and staff of internet start-ups",
            "employees of electronics and semiconductor firms",
        ),
        "premises": (
            "office floors leased to software and internet companies",
            "clean-room facility of an electronics plant",
            "data centre building with backup power",
        ),
        "land": ("a high-tech industrial park", "research and development use"),
        "homes": (
            "high-tech zone compound popular with software engineers",
            "estate next to a science and technology park",
        ),
        "gear": ("server racks and data-centre equipment", "SMT lines for electronics assembly"),
        "fleet": ("electric delivery vans of an internet platform", "ride-hailing electric cars"),
    },
    "energy": {
        "business": (
            "solar-panel manufacturer",
            "coal-fired power producer",
            "wind-farm developer",
            "oil-products distributor",
        ),
        "tag": ("energy", "solar", "power"),
        "workers": (
            "workers at power plants and solar-panel factories",
            "employees of the local grid and fuel companies",
        ),
        "premises": (
            "photovoltaic wafer plant",
            "gas station with convenience store",
            "biomass power plant with turbine hall",
        ),
        "land": ("a solar power station", "energy and utilities use"),
        "homes": (
            "staff-housing block of a coal-fired power plant",
            "compound near a wind-farm service base",
        ),
        "gear": ("wind-turbine components and transformers", "photovoltaic modules and inverters"),
        "fleet": ("fuel tanker trucks", "service vehicles of a wind-farm operator"),
    },
    "healthcare": {
        "business": (
            "private hospital",
            "pharmaceutical distributor",
            "medical-device maker",
            "elderly-care home operator",
        ),
        "tag": ("healthcare", "pharmaceuticals", "clinics"),
        "workers": ("nurses and clinic staff", "employees of pharmacies and private clinics"),
        "premises": (
            "private hospital building with 200 beds",
            "GMP pharmaceutical plant",
            "elderly-care home with medical wing",
        ),
        "land": ("medical and healthcare use", "a pharmaceutical industrial park"),
        "homes": ("retirement community with its own clinic", "compound next to a city hospital"),
        "gear": ("CT scanners and medical-imaging equipment", "dialysis machines and hospital beds"),
        "fleet": ("ambulances and medical-supply vans", "cold-chain vans of a pharmaceutical distributor"),
    },
    "mining": {
        "business": (
            "coal-mining company",
            "quarry operator",
            "non-ferrous metals smelter",
            "rare-earth processing firm",
        ),
        "tag": ("mining", "coal", "quarrying"),
        "workers": ("miners and smelter workers", "employees of quarries and coal mines"),
        "premises": ("ore-processing plant beside an open-pit mine", "coal washing plant with rail siding"),
        "land": ("a mining-rights area with quarry use", "mineral processing use"),
        "homes": ("mining-company housing estate", "housing estate in a coal-mining town"),
        "gear": ("mining drills and rock crushers", "crushers and conveyor belts of a quarry"),
        "fleet": ("mining dump trucks", "ore haulage trucks of a coal mine"),
    },
}

# How often each sector stands behind each asset type (weights, missing = 1).
_SECTOR_WEIGHT_BY_TYPE: dict[str, dict[str, float]] = {
    "consumer_loan": {"manufacturing": 2.0, "retail": 1.5, "construction": 1.2, "hospitality": 1.2,
                      "agriculture": 0.8, "energy": 0.5, "healthcare": 0.7, "mining": 0.4},
    "sme_loan": {"manufacturing": 2.5, "retail": 2.0, "construction": 1.2, "hospitality": 1.2,
                 "logistics": 1.2, "technology": 0.8, "energy": 0.4, "healthcare": 0.6, "mining": 0.3},
    "corporate_loan": {"manufacturing": 2.0, "construction": 2.0, "energy": 1.2, "logistics": 0.8,
                       "technology": 0.8, "retail": 0.6, "hospitality": 0.6, "agriculture": 0.5,
                       "healthcare": 0.5},
    "residential": {"hospitality": 1.2},
    "commercial_property": {"retail": 3.0, "hospitality": 2.5, "technology": 1.2, "healthcare": 0.8,
                            "manufacturing": 0.3, "construction": 0.5, "logistics": 0.3, "agriculture": 0.2,
                            "energy": 0.4, "mining": 0.1},
    "industrial_property": {"manufacturing": 3.0, "logistics": 2.0, "energy": 0.8, "agriculture": 0.8,
                            "technology": 0.8, "mining": 0.5, "construction": 0.5, "healthcare": 0.4,
                            "retail": 0.2, "hospitality": 0.1},
    "land": {"construction": 1.5, "manufacturing": 1.2, "energy": 0.6, "retail": 0.6, "technology": 0.6,
             "mining": 0.3, "healthcare": 0.3},
    "equity_stake": {"technology": 2.0, "manufacturing": 1.5, "healthcare": 1.2, "retail": 0.8,
                     "hospitality": 0.6, "construction": 0.8, "logistics": 0.7, "agriculture": 0.6,
                     "mining": 0.6},
    "trust_beneficiary_right": {"construction": 3.0, "mining": 0.6, "manufacturing": 0.8, "retail": 0.5,
                                "hospitality": 0.5, "logistics": 0.5, "agriculture": 0.5, "technology": 0.5,
                                "healthcare": 0.5},
    "receivables": {"construction": 2.0, "manufacturing": 1.5, "healthcare": 0.8, "energy": 0.8,
                    "technology": 0.8, "hospitality": 0.5, "agriculture": 0.5, "mining": 0.5},
    "equipment": {"manufacturing": 2.0, "construction": 1.5, "healthcare": 1.0, "energy": 0.8, "mining": 0.8,
                  "technology": 0.7, "hospitality": 0.6, "logistics": 0.6, "retail": 0.4},
    "vehicles": {"logistics": 3.0, "construction": 1.5, "retail": 0.8, "agriculture": 0.8, "mining": 0.6,
                 "manufacturing": 0.3, "hospitality": 0.3, "technology": 0.1, "energy": 0.3,
                 "healthcare": 0.3},
}  # fmt: skip

# Regional economies tilt the sector mix: factories on the coast, coal in Shanxi, farms in the
# north-east, tourism in Hainan and Yunnan.
_SECTOR_TILT_BY_PROVINCE: dict[str, dict[str, float]] = {
    "Guangdong": {"manufacturing": 1.8, "technology": 2.0, "logistics": 1.4},
    "Jiangsu": {"manufacturing": 2.0, "technology": 1.3},
    "Zhejiang": {"manufacturing": 1.8, "retail": 1.5, "logistics": 1.3},
    "Shanghai": {"technology": 1.8, "logistics": 1.6, "retail": 1.4, "healthcare": 1.3},
    "Beijing": {"technology": 2.5, "healthcare": 1.5},
    "Fujian": {"manufacturing": 1.5, "logistics": 1.3},
    "Shandong": {"agriculture": 1.8, "manufacturing": 1.4, "energy": 1.2},
    "Tianjin": {"logistics": 1.8, "manufacturing": 1.3},
    "Shanxi": {"mining": 4.0, "energy": 2.5},
    "InnerMongolia": {"mining": 3.0, "energy": 3.0, "agriculture": 1.5},
    "Shaanxi": {"energy": 2.0, "mining": 2.0},
    "Xinjiang": {"energy": 2.5, "agriculture": 2.0, "mining": 1.8},
    "Ningxia": {"energy": 2.0, "mining": 1.5},
    "Gansu": {"energy": 2.0, "mining": 1.5},
    "Qinghai": {"mining": 2.0, "energy": 2.0},
    "Heilongjiang": {"agriculture": 3.0, "energy": 1.5},
    "Jilin": {"agriculture": 2.5, "manufacturing": 1.3},
    "Liaoning": {"manufacturing": 1.6, "mining": 1.3},
    "Henan": {"agriculture": 2.0, "manufacturing": 1.2},
    "Hainan": {"hospitality": 4.0, "agriculture": 1.5},
    "Yunnan": {"hospitality": 2.5, "agriculture": 1.8},
    "Tibet": {"hospitality": 2.5},
    "Guizhou": {"mining": 1.8, "hospitality": 1.5},
    "Sichuan": {"hospitality": 1.4, "technology": 1.3},
    "Chongqing": {"manufacturing": 1.4, "logistics": 1.3},
    "Hubei": {"manufacturing": 1.3, "healthcare": 1.3},
    "Anhui": {"manufacturing": 1.3, "technology": 1.2},
}


def sector_probabilities() -> np.ndarray:
    """P(sector | asset type, province) as an array [asset type, province, sector]."""
    by_type = np.array(
        [[_SECTOR_WEIGHT_BY_TYPE.get(t, {}).get(s, 1.0) for s in SECTORS] for t in ASSET_TYPES]
    )
    tilt = np.array([[_SECTOR_TILT_BY_PROVINCE.get(p, {}).get(s, 1.0) for s in SECTORS] for p in PROVINCES])
    joint = by_type[:, None, :] * tilt[None, :, :]
    return joint / joint.sum(axis=2, keepdims=True)


def draw_sectors(rng: np.random.Generator, asset_type: np.ndarray, province: np.ndarray) -> np.ndarray:
    """One hidden sector index per package, given its asset type and province."""
    cdf = np.cumsum(sector_probabilities()[asset_type, province], axis=1)
    u = rng.random(len(asset_type))[:, None]
    return np.minimum((cdf < u).sum(axis=1), len(SECTORS) - 1)
