//! The simulator's data: base-data records, bills, and the whole persisted data set.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A reference to a base-data record (material, stock, organisation, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefVal {
    /// Form id of the referenced record, e.g. `BD_MATERIAL`.
    pub form: String,
    /// Internal id of the referenced record (`0` for references the simulator does not check,
    /// e.g. lots or customers).
    pub id: i64,
    /// The referenced record's `FNumber`.
    pub number: String,
}

/// One stored field value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Val {
    /// No value.
    Null,
    /// Text.
    Text(String),
    /// A number (quantities, prices, ...).
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// A date-time, always `yyyy-MM-ddTHH:mm:ss`.
    Date(String),
    /// A base-data reference.
    Ref(RefVal),
    /// A flex field (e.g. `FStockLocId`), kept as sent.
    Raw(Value),
}

/// A base-data record (a row of `BD_MATERIAL`, `BD_STOCK`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseRecord {
    /// Internal id (the form's primary key, e.g. `FMATERIALID`).
    pub id: i64,
    /// `FNumber`.
    pub number: String,
    /// `FName` (zh-CN).
    pub name: String,
    /// `FDocumentStatus`: `C` (audited) for usable records.
    pub document_status: String,
    /// `FForbidStatus`: `A` enabled, `B` disabled.
    pub forbid_status: String,
    /// Other fields by canonical key (e.g. `FBARCODE`, `FBaseUnitId`, `FUseOrgId`).
    #[serde(default)]
    pub fields: BTreeMap<String, Val>,
}

/// One entry row (`FEntity`) of a bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// `FEntryID` (`FEntity_FEntryId` in queries).
    pub entry_id: i64,
    /// `FSeq`, 1-based.
    pub seq: u32,
    /// Field values by canonical key.
    pub fields: BTreeMap<String, Val>,
}

/// A stored bill (其他入库单, 其他出库单, ...), as the simulated server keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bill {
    /// Form id, canonical spelling (e.g. `STK_MISCELLANEOUS`).
    pub form_id: String,
    /// `FID`.
    pub id: i64,
    /// `FBillNo`.
    pub number: String,
    /// `FDocumentStatus`: `A` created, `B` submitted, `C` audited, `D` re-audit (after UnAudit).
    pub status: String,
    /// The `Model` exactly as the client sent it (merged with the fields of later partial updates).
    pub raw_model: Value,
    /// Resolved header values by canonical key (defaults filled in, references resolved).
    pub head: BTreeMap<String, Val>,
    /// Entry rows.
    pub entries: Vec<Entry>,
    /// `FCreateDate`.
    pub create_date: String,
    /// `FModifyDate`.
    pub modify_date: String,
    /// `FApproveDate`, set when audited.
    pub approve_date: Option<String>,
}

/// The whole data set of a simulated account: what `--persist` saves and `--data` loads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimData {
    /// Base data by canonical form id (`BD_MATERIAL`, `BD_STOCK`, `ORG_Organizations`, ...).
    #[serde(default)]
    pub base: BTreeMap<String, Vec<BaseRecord>>,
    /// Bills by canonical form id, in id order.
    #[serde(default)]
    pub bills: BTreeMap<String, Vec<Bill>>,
    /// Next internal id for base data and bills.
    #[serde(default = "first_id")]
    pub next_id: i64,
    /// Next entry id.
    #[serde(default = "first_id")]
    pub next_entry_id: i64,
    /// Last auto-number used per form.
    #[serde(default)]
    pub bill_seq: BTreeMap<String, u64>,
    /// Bill ids by form and upper-cased number (derived; rebuilt after loading).
    #[serde(skip)]
    index: NumberIndex,
}

/// Bill ids by form and upper-cased number. Derived data: never compared, never serialized.
#[derive(Debug, Clone, Default)]
struct NumberIndex(BTreeMap<String, HashMap<String, i64>>);

impl PartialEq for NumberIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

fn first_id() -> i64 {
    100_001
}

impl Default for SimData {
    fn default() -> Self {
        Self {
            base: BTreeMap::new(),
            bills: BTreeMap::new(),
            next_id: first_id(),
            next_entry_id: first_id(),
            bill_seq: BTreeMap::new(),
            index: NumberIndex::default(),
        }
    }
}

impl SimData {
    /// Records of one base-data form (empty when the form has none).
    pub fn base_records(&self, form: &str) -> &[BaseRecord] {
        self.base.get(form).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The record of `form` with this number (numbers compare case-insensitively, like the
    /// server's SQL collation).
    pub fn find_base(&self, form: &str, number: &str) -> Option<&BaseRecord> {
        self.base_records(form)
            .iter()
            .find(|r| r.number.eq_ignore_ascii_case(number))
    }

    /// The record of `form` with this internal id.
    pub fn find_base_by_id(&self, form: &str, id: i64) -> Option<&BaseRecord> {
        self.base_records(form).iter().find(|r| r.id == id)
    }

    /// Bills of one form, in id order.
    pub fn bills_of(&self, form: &str) -> &[Bill] {
        self.bills.get(form).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The bill of `form` with this id.
    pub fn bill_by_id(&self, form: &str, id: i64) -> Option<&Bill> {
        let list = self.bills_of(form);
        list.binary_search_by_key(&id, |b| b.id)
            .ok()
            .map(|i| &list[i])
    }

    /// The bill of `form` with this number (case-insensitive).
    pub fn bill_by_number(&self, form: &str, number: &str) -> Option<&Bill> {
        let id = *self.index.0.get(form)?.get(&number.to_ascii_uppercase())?;
        self.bill_by_id(form, id)
    }

    /// Rebuilds the number index (after deserializing).
    pub(crate) fn reindex(&mut self) {
        self.index.0 = self
            .bills
            .iter()
            .map(|(form, list)| {
                let numbers = list
                    .iter()
                    .map(|b| (b.number.to_ascii_uppercase(), b.id))
                    .collect();
                (form.clone(), numbers)
            })
            .collect();
        for list in self.bills.values_mut() {
            list.sort_by_key(|b| b.id);
        }
    }

    /// Inserts a new bill or replaces the one with the same id.
    pub(crate) fn upsert_bill(&mut self, bill: Bill) {
        let numbers = self.index.0.entry(bill.form_id.clone()).or_default();
        let list = self.bills.entry(bill.form_id.clone()).or_default();
        numbers.insert(bill.number.to_ascii_uppercase(), bill.id);
        match list.binary_search_by_key(&bill.id, |b| b.id) {
            Ok(i) => {
                if !list[i].number.eq_ignore_ascii_case(&bill.number) {
                    numbers.remove(&list[i].number.to_ascii_uppercase());
                }
                list[i] = bill;
            }
            Err(i) => list.insert(i, bill),
        }
    }

    /// A bill to change in place (not its number).
    pub(crate) fn bill_mut(&mut self, form: &str, id: i64) -> Option<&mut Bill> {
        let list = self.bills.get_mut(form)?;
        let i = list.binary_search_by_key(&id, |b| b.id).ok()?;
        Some(&mut list[i])
    }

    /// Removes a bill.
    pub(crate) fn remove_bill(&mut self, form: &str, id: i64) -> Option<Bill> {
        let list = self.bills.get_mut(form)?;
        let i = list.binary_search_by_key(&id, |b| b.id).ok()?;
        let bill = list.remove(i);
        if let Some(numbers) = self.index.0.get_mut(form) {
            numbers.remove(&bill.number.to_ascii_uppercase());
        }
        Some(bill)
    }

    /// Takes a fresh internal id.
    pub(crate) fn take_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Takes a fresh entry id.
    pub(crate) fn take_entry_id(&mut self) -> i64 {
        let id = self.next_entry_id;
        self.next_entry_id += 1;
        id
    }
}

impl Bill {
    /// A header value by canonical key.
    pub fn head_value(&self, key: &str) -> Option<&Val> {
        self.head.get(key)
    }
}

impl Val {
    /// The value as the JSON a query returns (`Ref` → internal id).
    pub(crate) fn to_query_json(&self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Text(s) | Val::Date(s) => Value::String(s.clone()),
            Val::Num(n) => num_json(*n),
            Val::Bool(b) => Value::Bool(*b),
            Val::Ref(r) => Value::from(r.id),
            Val::Raw(v) => v.clone(),
        }
    }
}

/// A number as JSON: integral values without a fraction (`10`, not `10.0`).
pub(crate) fn num_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}
