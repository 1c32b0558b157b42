//! A small test-only WebAPI client written from the reference (not shared with the simulator
//! nor with the connector): URLs, logins, cookies, signature headers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ferry_sim_kingdee::{KingdeeSim, KingdeeSimConfig};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Full service names.
pub const FORM: &str = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService";
pub const AUTH: &str = "Kingdee.BOS.WebApi.ServicesStub.AuthService";

/// A raw answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Every `Set-Cookie` value.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }

    /// The value of cookie `name` from `Set-Cookie`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().iter().find_map(|c| {
            let first = c.split(';').next()?;
            let (k, v) = first.split_once('=')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    }
}

/// A client with an optional cookie header.
pub struct Kd {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: Option<String>,
}

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

impl Kd {
    pub fn new(base: &str) -> Self {
        Self {
            http: http(),
            base: base.to_string(),
            cookie: None,
        }
    }

    pub fn url(&self, service: &str) -> String {
        format!("{}{service}.common.kdsvc", self.base)
    }

    /// POSTs `body` to `service` with extra headers (and the cookie, if any).
    pub async fn send(
        &self,
        service: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Result<Answer> {
        let mut req = self
            .http
            .post(self.url(service))
            .header("Content-Type", "application/json")
            .body(body.to_string());
        if let Some(c) = &self.cookie {
            req = req.header("Cookie", c);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await?;
        Ok(Answer {
            status,
            headers,
            text,
        })
    }

    /// POSTs and parses JSON; panics on transport errors.
    pub async fn post(&self, service: &str, body: Value) -> Value {
        self.send(service, &body.to_string(), &[])
            .await
            .unwrap()
            .json()
    }

    /// `DynamicFormService.<op>` with the positional shape `[formid, data-as-string]`.
    pub async fn form(&self, op: &str, form_id: &str, data: Value) -> Value {
        self.post(
            &format!("{FORM}.{op}"),
            json!({"parameters": [form_id, data.to_string()]}),
        )
        .await
    }

    /// ExecuteBillQuery with the named shape.
    pub async fn query(&self, data: Value) -> Value {
        self.post(&format!("{FORM}.ExecuteBillQuery"), json!({"data": data}))
            .await
    }

    /// Logs in with ValidateUser and keeps both session cookies.
    pub async fn login(&mut self, cfg: &KingdeeSimConfig) -> Value {
        let a = self
            .send(
                &format!("{AUTH}.ValidateUser"),
                &json!({"parameters": [cfg.acct_id, cfg.user, cfg.password, 2052]}).to_string(),
                &[],
            )
            .await
            .unwrap();
        let v = a.json();
        assert_eq!(v["LoginResultType"], 1, "{v}");
        self.cookie = Some(format!(
            "kdservice-sessionid={};ASP.NET_SessionId={}",
            v["KDSVCSessionId"].as_str().unwrap(),
            v["Context"]["SessionId"].as_str().unwrap()
        ));
        v
    }
}

/// Starts a simulator on a free port with a logged-in client.
pub async fn logged_in(cfg: KingdeeSimConfig) -> (KingdeeSim, Kd) {
    let sim = ferry_sim_kingdee::start(cfg.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut kd = Kd::new(&sim.base_url());
    kd.login(&cfg).await;
    (sim, kd)
}

/// Starts a simulator with the default config and a logged-in client.
pub async fn demo() -> (KingdeeSim, Kd) {
    logged_in(KingdeeSimConfig::default()).await
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// LoginBySign: SHA-256 hex of the ordinally sorted concatenation (reference §2.5).
pub fn sign(acct: &str, user: &str, app_id: &str, secret: &str, ts: &str) -> String {
    let mut v = [acct, user, app_id, secret, ts];
    v.sort();
    hex(&Sha256::digest(v.concat()))
}

/// base64(hex(HMAC-SHA256(key, msg))) (reference §2.6 step 3).
pub fn kd_hmac(msg: &str, key: &str) -> String {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).unwrap();
    m.update(msg.as_bytes());
    STANDARD.encode(hex(&m.finalize().into_bytes()))
}

/// The `X-Kd-*` headers for these credentials (orgNum 0).
pub fn kd_headers(
    app_id: &str,
    secret: &str,
    acct: &str,
    user: &str,
    lcid: u32,
) -> Vec<(String, String)> {
    let data = format!("{acct},{user},{lcid},0");
    vec![
        ("X-Kd-Appkey".into(), app_id.into()),
        ("X-Kd-Appdata".into(), STANDARD.encode(&data)),
        (
            "X-Kd-Signature".into(),
            kd_hmac(&format!("{app_id}{data}"), secret),
        ),
    ]
}

/// A config whose credentials are the reference's synthetic test-vector ones.
pub fn vector_config() -> KingdeeSimConfig {
    KingdeeSimConfig {
        acct_id: "5f0000000000aa".into(),
        user: "demo".into(),
        app_id: "123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef".into(),
        app_secret: "0123456789abcdef0123456789abcdef".into(),
        ..KingdeeSimConfig::default()
    }
}

/// One other-inbound model.
pub fn inbound(no: &str, material: &str, stock: &str, qty: f64) -> Value {
    json!({
        "FBillNo": no,
        "FBillTypeID": {"FNUMBER": "QTRKD01_SYS"},
        "FStockOrgId": {"FNumber": "100"},
        "FStockDirect": "GENERAL",
        "FDate": "2024-05-01 00:00:00",
        "FDEPTID": {"FNumber": "BM000001"},
        "FOwnerTypeIdHead": "BD_OwnerOrg",
        "FOwnerIdHead": {"FNumber": "100"},
        "FNOTE": "from test",
        "FEntity": [{
            "FInStockType": "1",
            "FMATERIALID": {"FNumber": material},
            "FCMKBarCode": "6900000000001",
            "FSTOCKID": {"FNumber": stock},
            "FQty": qty,
            "FPrice": 1.5,
            "FSRCBILLNO": "PD0001"
        }]
    })
}

/// The `ResponseStatus` of an envelope.
pub fn rs(v: &Value) -> &Value {
    &v["Result"]["ResponseStatus"]
}
