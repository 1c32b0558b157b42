#!/usr/bin/env python3
"""The official Kingdee Python SDK (PyPI kingdee-cdp-webapi-sdk, module k3cloud_webapi_sdk) against
Ferry's Kingdee simulator: BatchSave an other-inbound bill (其他入库单), find it with
ExecuteBillQuery, read it with View.

Standard library + the SDK only. Two ways to run it:

    python sdk_roundtrip.py --ferry target/debug/ferry   # starts `ferry sim kingdee` on a free port
    python sdk_roundtrip.py --url http://127.0.0.1:PORT/k3cloud/   # a simulator already running

A simulator started elsewhere must use the credentials below (ACCT_ID, USER, APP_ID, APP_SECRET).
Exits 0 when every check passed; prints what failed otherwise.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from k3cloud_webapi_sdk.main import K3CloudApiSdk

ACCT_ID = "ferry-sdk-acct"
USER = "demo"
# The real app id format: "<clientId>_<encodedSecret>" (the reference's test vector).
APP_ID = "123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
APP_SECRET = "0123456789abcdef0123456789abcdef"
FORM = "STK_MISCELLANEOUS"

passed = 0


def check(cond, what, detail=""):
    global passed
    if not cond:
        raise AssertionError(f"{what}: {detail}")
    passed += 1
    print(f"ok   {what}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_simulator(binary, log):
    port = free_port()
    cmd = [binary, "sim", "kingdee", "--port", str(port), "--acct-id", ACCT_ID, "--user", USER,
           "--app-id", APP_ID, "--app-secret", APP_SECRET]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the simulator exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}/k3cloud/"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the simulator did not listen within 60 s")


def stop_simulator(proc):
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def sim_stats(url):
    root = url[: -len("k3cloud/")]
    with urllib.request.urlopen(root + "__sim/stats", timeout=10) as r:
        return json.loads(r.read().decode("utf-8"))


def inbound_model(bill_no):
    # The fields of the project's spec (其他入库新增), shaped as reference §6.2 shows.
    return {
        "FBillNo": bill_no,
        "FBillTypeID": {"FNUMBER": "QTRKD01_SYS"},
        "FStockOrgId": {"FNumber": "100"},
        "FStockDirect": "GENERAL",
        "FDate": "2024-05-01 00:00:00",
        "FSUPPLIERID": {"FNumber": "VEN00001"},
        "FDEPTID": {"FNumber": "BM000001"},
        "FOwnerTypeIdHead": "BD_OwnerOrg",
        "FOwnerIdHead": {"FNumber": "100"},
        "FNOTE": "Python SDK round trip",
        "FEntity": [{
            "FInStockType": "1",
            "FMATERIALID": {"FNumber": "A0001"},
            "FCMKBarCode": "6900000000001",
            "FSTOCKID": {"FNumber": "CK001"},
            "FQty": 10,
            "FPrice": 1.5,
            "FEntryNote": "",
            "FSRCBILLNO": "PD-0001",
            "FSRCBILLTYPEID": "",
        }],
    }


def roundtrip(url):
    sdk = K3CloudApiSdk(url)
    sdk.InitConfig(ACCT_ID, USER, APP_ID, APP_SECRET, url, 2052, 100)
    bill_no = f"PYSDK-{os.getpid()}-{int(time.time())}"

    data = {"IsAutoSubmitAndAudit": "true", "IsVerifyBaseDataField": "true", "NeedReturnFields": ["FBillNo"],
            "Model": [inbound_model(bill_no)]}
    saved = json.loads(sdk.BatchSave(FORM, data))
    status = saved["Result"]["ResponseStatus"]
    check(status["IsSuccess"] is True, "BatchSave succeeds", json.dumps(status, ensure_ascii=False))
    entity = status["SuccessEntitys"][0]
    check(entity["Number"] == bill_no and entity["DIndex"] == 0, "BatchSave returns the number at DIndex 0", entity)
    bill_id = entity["Id"]

    query = {"FormId": FORM, "FieldKeys": "FID,FBillNo,FDocumentStatus,FStockOrgId.FNumber",
             "FilterString": f"FBillNo='{bill_no}'", "OrderString": "FID ASC",
             "TopRowCount": 0, "StartRow": 0, "Limit": 2000}
    rows = json.loads(sdk.ExecuteBillQuery(query))
    check(rows == [[bill_id, bill_no, "C", "100"]], "ExecuteBillQuery finds the audited bill", rows)

    viewed = json.loads(sdk.View(FORM, {"Number": bill_no}))
    check(viewed["Result"]["ResponseStatus"]["IsSuccess"] is True, "View succeeds", viewed["Result"]["ResponseStatus"])
    bill = viewed["Result"]["Result"]
    check(bill.get("BillNo") == bill_no and bill.get("DocumentStatus") == "C", "View shows the bill",
          {k: bill.get(k) for k in ("BillNo", "DocumentStatus", "Id")})

    again = json.loads(sdk.BatchSave(FORM, {"Model": [inbound_model(bill_no)]}))
    errors = again["Result"]["ResponseStatus"]["Errors"]
    check(again["Result"]["ResponseStatus"]["IsSuccess"] is False and errors and errors[0]["FieldName"] == "FBillNo"
          and "违反字段唯一性要求" in errors[0]["Message"], "a second BatchSave of the number is refused as a duplicate",
          json.dumps(errors, ensure_ascii=False))

    stats = sim_stats(url)
    check(stats["logins_ok"] == 0, "the SDK signs requests instead of logging in", stats["logins_ok"])
    check(stats["sessions_created"] == 1 and stats["session_lost_responses"] == 0,
          "the SDK carries the session the first signed call opened",
          {k: stats[k] for k in ("sessions_created", "session_lost_responses")})


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--ferry", help="the ferry binary: start `ferry sim kingdee` on a free port")
    g.add_argument("--url", help="base URL of a running simulator (…/k3cloud/)")
    args = p.parse_args()
    proc = None
    with tempfile.TemporaryFile(mode="w+") as log:
        try:
            if args.ferry:
                proc, url = start_simulator(args.ferry, log)
            else:
                url = args.url
            print(f"simulator at {url}")
            roundtrip(url)
        except Exception as e:  # noqa: BLE001 - report every failure the same way
            print(f"FAIL {type(e).__name__}: {e}")
            if proc is not None:
                log.seek(0)
                print("--- simulator output ---")
                print(log.read()[-4000:])
            print(f"sdk_roundtrip: {passed} passed, 1 failed")
            return 1
        finally:
            if proc is not None:
                stop_simulator(proc)
    print(f"sdk_roundtrip: {passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
