#!/usr/bin/env python3
"""Write N seed-shaped stocktake records (a header plus 10 detail lines, the fields of Jackyun's
wms.stocktake.get) as JSON Lines. Deterministic: the same N gives the same file.

    python3 scripts/gen_stocktakes.py 100000 /tmp/stocktakes.jsonl
"""
import json
import sys


def record(i: int) -> dict:
    day = 1 + i % 28
    wh = ["CK01", "CK02", "CK03", "CK04"][i % 4]
    lines = []
    for j in range(10):
        n = 1 + (i * 7 + j * 13) % 200
        stock = 10 + (i + j) % 50
        vari = ((i + j * 3) % 7) - 3  # -3..3: gains, losses and zero variances
        lines.append({
            "id": f"{i}{j:02d}", "headId": str(i), "goodsId": str(1000 + n), "skuId": str(5000 + n),
            "goodsNo": f"A{n:04d}", "goodsName": f"货品{n}", "skuBarcode": f"69{n:011d}",
            "stockQuan": stock, "takeQuan": stock + vari, "variQuan": vari,
            "price": round(1 + (n % 97) / 4, 2), "unitName": "个", "batchNo": "", "rowRemark": "",
        })
    return {
        "id": str(2201001234567890000 + i), "stocktakeId": f"PD202405{day:02d}{i:06d}",
        "companyId": "936838168287511040", "companyName": "示例公司", "warehouseId": str(100 + i % 4),
        "warehouseCode": wh, "warehouseName": "成品仓", "deptId": "1001", "deptName": "仓储部",
        "text": f"5月盘点 #{i}", "stocktakeDate": f"2024-05-{day:02d} 10:00:00", "createId": "2001",
        "createName": "张三", "status": 5 if i % 10 else 4, "flagData": "", "stockTakeDetailViews": lines,
    }


def main() -> None:
    n, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps(record(i), ensure_ascii=False, separators=(",", ":")))
            f.write("\n")


if __name__ == "__main__":
    main()
