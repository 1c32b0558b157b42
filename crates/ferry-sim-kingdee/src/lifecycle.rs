//! Submit, Audit, UnAudit, Delete (and `ExcuteOperation` Forbid/Enable on base data): the
//! document-status rules A (created) → B (submitted) → C (audited) → D (re-audit, after UnAudit).

use serde_json::{Map, Value, json};

use crate::body::{as_text, get_ci};
use crate::envelope::{
    KdMsg, MSG_EXCEPTION, MSG_NOT_FOUND, MSG_PARAM, MSG_VALIDATION, SuccessEntity, failure, status,
};
use crate::forms::FormDef;
use crate::save::string_list;
use crate::state::{OpCtx, State};

/// A multi-number operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// A/D → B.
    Submit,
    /// B → C.
    Audit,
    /// C → D.
    UnAudit,
    /// A/D → removed.
    Delete,
    /// Base data: FForbidStatus → B.
    Forbid,
    /// Base data: FForbidStatus → A.
    Enable,
}

impl Action {
    /// The action of an `ExcuteOperation` opNumber, or of an operation name.
    pub(crate) fn from_name(name: &str) -> Option<Action> {
        [
            ("Submit", Action::Submit),
            ("Audit", Action::Audit),
            ("UnAudit", Action::UnAudit),
            ("Delete", Action::Delete),
            ("Forbid", Action::Forbid),
            ("Enable", Action::Enable),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, a)| a)
    }
}

/// The targets: `Numbers` (array or comma string) or `Ids` (comma string or array).
enum Target {
    Number(String),
    Id(i64),
}

fn targets(data: &Map<String, Value>) -> Vec<Target> {
    let numbers = string_list(get_ci(data, "Numbers"));
    if !numbers.is_empty() {
        return numbers.into_iter().map(Target::Number).collect();
    }
    let ids = match get_ci(data, "Ids") {
        Some(Value::Array(a)) => a.iter().filter_map(as_text).collect(),
        Some(v) => as_text(v)
            .map(|s| s.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    ids.iter()
        .filter_map(|s| s.trim().parse().ok())
        .map(Target::Id)
        .collect()
}

/// Runs `action` on every target of `data`. Missing numbers are skipped when at least one exists
/// (reference §4.4: "the call still returns the successful ones"); when none exists the call fails.
pub(crate) fn run(
    st: &mut State,
    ctx: &OpCtx<'_>,
    form: &'static FormDef,
    data: &Map<String, Value>,
    action: Action,
) -> Value {
    let targets = targets(data);
    if targets.is_empty() {
        return failure(
            None,
            "请指定单据编码集合(Numbers)或内码集合(Ids)",
            MSG_PARAM,
        );
    }
    if form.bill().is_none() {
        return base_status(st, form, &targets, action);
    }
    if matches!(action, Action::Forbid | Action::Enable) {
        return failure(
            None,
            format!("模拟器不支持对“{}”执行该操作", form.name),
            MSG_EXCEPTION,
        );
    }
    let found: Vec<(usize, i64)> = targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            match t {
                Target::Number(n) => st.data.bill_by_number(form.id, n),
                Target::Id(id) => st.data.bill_by_id(form.id, *id),
            }
            .map(|b| (i, b.id))
        })
        .collect();
    if found.is_empty() {
        let errors: Vec<KdMsg> = targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let shown = match t {
                    Target::Number(n) => format!("单据编号为“{n}”"),
                    Target::Id(id) => format!("内码为“{id}”"),
                };
                // Template.
                KdMsg::new(
                    Some(""),
                    format!("{shown}的{}不存在或已被删除！", form.name),
                    i,
                    MSG_NOT_FOUND,
                )
            })
            .collect();
        return json!({"Result": {"ResponseStatus": status(false, &errors, &[], &[])}});
    }
    let mut errors = Vec::new();
    let mut successes = Vec::new();
    let mut messages = Vec::new();
    for (i, id) in found {
        let Some(bill) = st.data.bill_mut(form.id, id) else {
            continue;
        };
        let prefix = format!("单据编号为“{}”的{}，", bill.number, form.name);
        // Texts: "单据已经审核！" and "审核成功！" are verbatim (reference §4.4); the others are templates.
        let refused = match (action, bill.status.as_str()) {
            (Action::Submit, "A" | "D") => None,
            (Action::Submit, "B") => Some("单据已经提交，不能重复提交！"),
            (Action::Submit, _) => Some("单据已经审核！"),
            (Action::Audit, "B") => None,
            (Action::Audit, "C") => Some("单据已经审核！"),
            (Action::Audit, _) => Some("单据未提交，不能审核！"),
            (Action::UnAudit, "C") => None,
            (Action::UnAudit, _) => Some("单据未审核，不能反审核！"),
            (Action::Delete, "A" | "D") => None,
            (Action::Delete, "B") => Some("单据已经提交，不能删除！"),
            (Action::Delete, _) => Some("单据已经审核，不能删除！"),
            (Action::Forbid | Action::Enable, _) => Some("不支持该操作！"),
        };
        if let Some(why) = refused {
            errors.push(KdMsg::new(
                Some(""),
                format!("{prefix}{why}"),
                i,
                MSG_VALIDATION,
            ));
            continue;
        }
        successes.push(SuccessEntity {
            id: bill.id,
            number: bill.number.clone(),
            dindex: i,
        });
        bill.modify_date = ctx.now.clone();
        match action {
            Action::Submit => bill.status = "B".to_string(),
            Action::Audit => {
                bill.status = "C".to_string();
                bill.approve_date = Some(ctx.now.clone());
                messages.push(KdMsg::new(None, format!("{prefix}审核成功！"), i, 0));
            }
            Action::UnAudit => {
                bill.status = "D".to_string();
                bill.approve_date = None;
            }
            Action::Delete => {
                st.data.remove_bill(form.id, id);
            }
            Action::Forbid | Action::Enable => {}
        }
    }
    if !successes.is_empty() {
        st.dirty = true;
    }
    json!({"Result": {"ResponseStatus": status(errors.is_empty(), &errors, &successes, &messages)}})
}

/// Forbid/Enable on base data (so tests can disable a material through the API).
fn base_status(
    st: &mut State,
    form: &'static FormDef,
    targets: &[Target],
    action: Action,
) -> Value {
    let new_status = match action {
        Action::Forbid => "B",
        Action::Enable => "A",
        _ => {
            return failure(
                None,
                format!("模拟器不支持对“{}”执行该操作", form.name),
                MSG_EXCEPTION,
            );
        }
    };
    let mut errors = Vec::new();
    let mut successes = Vec::new();
    let records = st.data.base.entry(form.id.to_string()).or_default();
    for (i, t) in targets.iter().enumerate() {
        let rec = records.iter_mut().find(|r| match t {
            Target::Number(n) => r.number.eq_ignore_ascii_case(n),
            Target::Id(id) => r.id == *id,
        });
        match rec {
            Some(r) => {
                r.forbid_status = new_status.to_string();
                successes.push(SuccessEntity {
                    id: r.id,
                    number: r.number.clone(),
                    dindex: i,
                });
            }
            None => errors.push(KdMsg::new(
                Some(""),
                format!("{}不存在或已被删除！", form.name),
                i,
                MSG_NOT_FOUND,
            )),
        }
    }
    if !successes.is_empty() {
        st.dirty = true;
    }
    json!({"Result": {"ResponseStatus": status(errors.is_empty(), &errors, &successes, &[])}})
}
