//! The WebAPI operations (reference §1.2, §3): BatchSave, Save, Submit, Audit, UnAudit, Delete,
//! View, ExecuteBillQuery (one page, or all pages) and QueryBusinessInfo, each building its `data`
//! and reading its answer.

use ferry_core::connector::{ConnectorError, ErrorClass};
use serde_json::{Map, Value, json};

use super::client::{KingdeeClient, Safety};
use super::config::BodyStyle;
use super::envelope::{self, ResponseStatus, get_ci, text_of};

/// Most rows one ExecuteBillQuery page may ask for (reference §7.1).
pub const MAX_LIMIT: u64 = 10_000;
/// Page size used when none is given (what integrators use, reference §7.1).
pub const DEFAULT_LIMIT: u64 = 2_000;

/// The answer of Save or BatchSave.
#[derive(Debug, Clone, PartialEq)]
pub struct SaveResult {
    pub status: ResponseStatus,
    /// Save only: the bill's internal id and number.
    pub id: Option<String>,
    pub number: Option<String>,
    /// `NeedReturnData` as returned.
    pub need_return_data: Value,
}

/// Which bills a multi-bill operation (Submit, Audit, UnAudit, Delete) acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum Bills {
    /// By document number: `"Numbers": [..]`.
    Numbers(Vec<String>),
    /// By internal id: `"Ids": "1,2"`.
    Ids(Vec<String>),
}

/// One bill for View.
#[derive(Debug, Clone, PartialEq)]
pub enum BillKey {
    Number(String),
    Id(String),
}

/// One ExecuteBillQuery request (reference §3.3).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BillQuery {
    pub form_id: String,
    /// Field keys; the answer's columns come in this order.
    pub field_keys: Vec<String>,
    pub filter: String,
    pub order: String,
    /// Caps the whole window counted from row 0; 0 = no cap.
    pub top_row_count: u64,
    pub start_row: u64,
    /// Page size; 0 = the server's default.
    pub limit: u64,
    pub sub_system_id: Option<String>,
}

impl BillQuery {
    /// A query of `form` for `keys` (comma-separated or one by one).
    pub fn new(form: &str, keys: &[&str]) -> BillQuery {
        BillQuery { form_id: form.to_owned(), field_keys: keys.iter().map(|k| (*k).to_owned()).collect(), ..BillQuery::default() }
    }

    fn data(&self) -> Value {
        let mut d = json!({
            "FormId": self.form_id,
            "FieldKeys": self.field_keys.join(","),
            "FilterString": self.filter,
            "OrderString": self.order,
            "TopRowCount": self.top_row_count,
            "StartRow": self.start_row,
            "Limit": self.limit,
        });
        if let Some(s) = &self.sub_system_id {
            d["SubSystemId"] = Value::String(s.clone());
        }
        d
    }
}

/// Quote a value for a FilterString: `'it''s'`.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `FBillNo in ('a','b')`.
pub fn in_filter(field: &str, values: &[String]) -> String {
    let list: Vec<String> = values.iter().map(|v| quote(v)).collect();
    format!("{field} in ({})", list.join(","))
}

impl KingdeeClient {
    /// The request body in the configured shape.
    fn body(&self, formid: Option<&str>, data: &Value) -> Value {
        match self.config().body_style {
            BodyStyle::Named => match formid {
                Some(f) => json!({ "formid": f, "data": data }),
                None => json!({ "data": data }),
            },
            BodyStyle::Positional => match formid {
                Some(f) => json!({ "parameters": [f, data.to_string()] }),
                None => json!({ "parameters": [data.to_string()] }),
            },
        }
    }

    async fn object_call(&self, op: &str, formid: Option<&str>, data: &Value, safety: Safety) -> Result<(ResponseStatus, Map<String, Value>), ConnectorError> {
        let v = self.call(op, &self.body(formid, data), safety).await?;
        let result = envelope::result_object(&v).cloned().ok_or_else(|| unexpected(op, &v))?;
        let status = envelope::status_of(&v).ok_or_else(|| unexpected(op, &v))?;
        Ok((status, result))
    }

    /// `BatchSave`: `options` are the request-level `data` keys (IsAutoSubmitAndAudit, …), `models`
    /// become `data.Model`. Partial success is normal: read `status` per `DIndex`.
    pub async fn batch_save(&self, form: &str, options: &Map<String, Value>, models: &[Value]) -> Result<SaveResult, ConnectorError> {
        let mut data = options.clone();
        data.insert("Model".into(), Value::Array(models.to_vec()));
        self.save_call("BatchSave", form, Value::Object(data)).await
    }

    /// `Save` of one model.
    pub async fn save(&self, form: &str, options: &Map<String, Value>, model: &Value) -> Result<SaveResult, ConnectorError> {
        let mut data = options.clone();
        data.insert("Model".into(), model.clone());
        self.save_call("Save", form, Value::Object(data)).await
    }

    async fn save_call(&self, op: &str, form: &str, data: Value) -> Result<SaveResult, ConnectorError> {
        let (status, result) = self.object_call(op, Some(form), &data, Safety::Write).await?;
        Ok(SaveResult {
            id: get_ci(&result, "Id").and_then(text_of),
            number: get_ci(&result, "Number").and_then(text_of),
            need_return_data: get_ci(&result, "NeedReturnData").cloned().unwrap_or(Value::Null),
            status,
        })
    }

    async fn bills_call(&self, op: &str, form: &str, bills: &Bills, extra: &Map<String, Value>) -> Result<ResponseStatus, ConnectorError> {
        let mut data = extra.clone();
        match bills {
            Bills::Numbers(n) => data.insert("Numbers".into(), json!(n)),
            Bills::Ids(ids) => data.insert("Ids".into(), Value::String(ids.join(","))),
        };
        let (status, _) = self.object_call(op, Some(form), &Value::Object(data), Safety::Write).await?;
        if !status.is_success && status.success_entitys.is_empty() {
            return Err(status.to_error());
        }
        Ok(status)
    }

    /// `Submit` (A → B). Some bills may fail while others succeed: read `Errors` per `DIndex`.
    pub async fn submit(&self, form: &str, bills: &Bills) -> Result<ResponseStatus, ConnectorError> {
        self.bills_call("Submit", form, bills, &Map::new()).await
    }

    /// `Audit` (B → C).
    pub async fn audit(&self, form: &str, bills: &Bills) -> Result<ResponseStatus, ConnectorError> {
        self.bills_call("Audit", form, bills, &Map::new()).await
    }

    /// `UnAudit` (C → D).
    pub async fn unaudit(&self, form: &str, bills: &Bills) -> Result<ResponseStatus, ConnectorError> {
        self.bills_call("UnAudit", form, bills, &Map::new()).await
    }

    /// `Delete`.
    pub async fn delete(&self, form: &str, bills: &Bills) -> Result<ResponseStatus, ConnectorError> {
        self.bills_call("Delete", form, bills, &Map::new()).await
    }

    /// `View` of one bill: `Result.Result` (property names, not Save keys). A bill that does not
    /// exist is a `Business` error with the server's message.
    pub async fn view(&self, form: &str, key: &BillKey) -> Result<Value, ConnectorError> {
        let data = match key {
            BillKey::Number(n) => json!({ "Number": n }),
            BillKey::Id(id) => json!({ "Id": id }),
        };
        let (status, result) = self.object_call("View", Some(form), &data, Safety::Read).await?;
        if !status.is_success {
            return Err(status.to_error());
        }
        Ok(get_ci(&result, "Result").cloned().unwrap_or(Value::Null))
    }

    /// One `ExecuteBillQuery` page: rows of values in `field_keys` order.
    pub async fn execute_bill_query(&self, q: &BillQuery) -> Result<Vec<Vec<Value>>, ConnectorError> {
        if q.limit > MAX_LIMIT {
            return Err(ConnectorError::config(format!("Limit {} is above Kingdee's maximum of {MAX_LIMIT} rows per page", q.limit)));
        }
        let v = self.call("ExecuteBillQuery", &self.body(None, &q.data()), Safety::Read).await?;
        if let Some(status) = envelope::status_of(&v) {
            let mut e = status.to_error();
            e.message = format!("ExecuteBillQuery {}: {}", q.form_id, e.message);
            return Err(e);
        }
        match v {
            Value::Array(rows) => rows
                .into_iter()
                .map(|r| match r {
                    Value::Array(cells) => Ok(cells),
                    other => Err(unexpected("ExecuteBillQuery", &other)),
                })
                .collect(),
            other => Err(unexpected("ExecuteBillQuery", &other)),
        }
    }

    /// `QueryBusinessInfo`: the form's metadata (`NeedReturnData`).
    pub async fn query_business_info(&self, form: &str) -> Result<Value, ConnectorError> {
        let (status, result) = self.object_call("QueryBusinessInfo", None, &json!({ "FormId": form }), Safety::Read).await?;
        if !status.is_success {
            return Err(status.to_error());
        }
        Ok(get_ci(&result, "NeedReturnData").cloned().unwrap_or(Value::Null))
    }
}

fn unexpected(op: &str, v: &Value) -> ConnectorError {
    let shown: String = v.to_string().chars().take(300).collect();
    ConnectorError::new(ErrorClass::Transient, format!("{op}: unexpected answer from Kingdee: {shown}"))
}

/// Pages through an ExecuteBillQuery with StartRow/Limit, keeping the TopRowCount rule
/// (reference §7.1): with a cap `T > 0` each page asks for at most `T - StartRow` rows and sends
/// `TopRowCount = T` (so `T ≥ StartRow + Limit` always holds); without a cap it sends 0. Paging
/// stops at the first page shorter than its `Limit`.
#[derive(Debug, Clone)]
pub struct Pager {
    query: BillQuery,
    page: u64,
    cap: u64,
    next: u64,
    done: bool,
}

impl Pager {
    /// `query.limit` is the page size (0 → [`DEFAULT_LIMIT`]); `query.top_row_count` the total cap;
    /// `query.start_row` where to begin.
    pub fn new(query: BillQuery) -> Pager {
        let page = if query.limit == 0 { DEFAULT_LIMIT } else { query.limit.min(MAX_LIMIT) };
        Pager { page, cap: query.top_row_count, next: query.start_row, done: false, query }
    }

    /// Where the next page starts.
    pub fn position(&self) -> u64 {
        self.next
    }

    /// No more pages.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The next page, or `None` when exhausted.
    pub async fn next(&mut self, client: &KingdeeClient) -> Result<Option<Vec<Vec<Value>>>, ConnectorError> {
        if self.done {
            return Ok(None);
        }
        let limit = if self.cap > 0 {
            if self.next >= self.cap {
                self.done = true;
                return Ok(None);
            }
            self.page.min(self.cap - self.next)
        } else {
            self.page
        };
        let mut q = self.query.clone();
        q.start_row = self.next;
        q.limit = limit;
        q.top_row_count = self.cap;
        let rows = client.execute_bill_query(&q).await?;
        self.next += rows.len() as u64;
        if (rows.len() as u64) < limit {
            self.done = true;
        }
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(rows))
    }
}

/// Every row of a query, page by page.
pub async fn query_all(client: &KingdeeClient, query: BillQuery) -> Result<Vec<Vec<Value>>, ConnectorError> {
    let mut pager = Pager::new(query);
    let mut out = Vec::new();
    while let Some(rows) = pager.next(client).await? {
        out.extend(rows);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_quote_safely() {
        assert_eq!(quote("a'b"), "'a''b'");
        assert_eq!(in_filter("FBillNo", &["X-1".into(), "O'Neil".into()]), "FBillNo in ('X-1','O''Neil')");
    }

    #[test]
    fn query_data_has_every_key() {
        let mut q = BillQuery::new("BD_MATERIAL", &["FMATERIALID", "FNumber"]);
        q.filter = "FNumber='1.01.001'".into();
        q.order = "FNumber ASC".into();
        q.limit = 2000;
        assert_eq!(
            q.data(),
            json!({"FormId":"BD_MATERIAL","FieldKeys":"FMATERIALID,FNumber","FilterString":"FNumber='1.01.001'",
                   "OrderString":"FNumber ASC","TopRowCount":0,"StartRow":0,"Limit":2000})
        );
    }
}
