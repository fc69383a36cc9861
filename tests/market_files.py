"""A tiny hand-written market in the contract's CSV format, for store and CLI tests."""

from __future__ import annotations

from pathlib import Path

INVESTORS_CSV = """\
investor_id,name,investor_type,province,registered_at,capital_cny,min_ticket_cny,max_ticket_cny,preferred_asset_types,preferred_provinces,risk_appetite,licensed_amc
inv-1,Huarong East,national_amc,Beijing,2024-01-05,50000000000,10000000,5000000000,consumer_loan;sme_loan,Jiangsu;Zhejiang,aggressive,true
inv-2,Li Ming,individual,Jiangsu,2024-03-01,3000000,,4000000,residential,Jiangsu,conservative,false
inv-3,Delta Capital,private_fund,Shanghai,2024-06-10,800000000,,,,,,false
"""

PACKAGES_CSV = """\
package_id,title,seller_type,asset_class,asset_type,province,city,principal_cny,claim_total_cny,appraised_value_cny,reserve_price_cny,loan_count,collateral,litigation_status,dd_completeness,listed_at,closes_at,status,description,cross_border_eligible
pkg-1,Suzhou consumer loan batch,bank,credit,consumer_loan,Jiangsu,Suzhou,120000000,150000000,,30000000,4200,unsecured,judgment,0.8,2025-01-10T09:00:00,2025-02-20T15:00:00,sold,"Debtor ID 110105198603150027, mobile 13812345678",false
pkg-2,Flat in Nanjing,court,real_estate,residential,Jiangsu,Nanjing,2500000,2600000,3100000,2100000,1,secured,enforcement,0.95,2025-02-01,2025-03-01,active,,true
pkg-3,Harbin factory loans,local_amc,credit,corporate_loan,Heilongjiang,Harbin,80000000,95000000,40000000,12000000,3,secured,in_litigation,0.4,2025-02-05T10:00:00+08:00,2025-04-05T10:00:00+08:00,upcoming,,false
"""

EVENTS_CSV = """\
event_id,investor_id,package_id,event_type,occurred_at,amount_cny,dwell_seconds,request_id
e-1,inv-1,pkg-1,view,2025-01-11T10:00:00,,120,
e-2,inv-1,pkg-1,dd_request,2025-01-12T10:00:00,,,
e-3,inv-1,pkg-1,bid,2025-02-19T10:00:00,32000000,,
e-4,inv-1,pkg-1,win,2025-02-20T15:00:00,32000000,,
e-5,inv-2,pkg-2,favorite,2025-02-03T08:00:00,,,req-9
"""


def write_market(directory: Path, investors: str = INVESTORS_CSV, packages: str = PACKAGES_CSV,
                 events: str = EVENTS_CSV) -> Path:
    """Write the three files (an empty string leaves that file out) and return the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in (("investors.csv", investors), ("packages.csv", packages), ("events.csv", events)):
        if content:
            (directory / name).write_text(content, encoding="utf-8")
    return directory
