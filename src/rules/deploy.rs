//! CodeDeploy deployment group rules.

use super::{Context, Rule};
use crate::finding::Finding;
use crate::model::deployment_group::{self, DeploymentGroup};
use crate::model::fields::is_prod;
use crate::source::SourceFile;
use crate::syntax::Span;

/// `deployment-group-no-auto-rollback`.
pub struct NoAutoRollback;

const ID_ROLLBACK: &str = "deployment-group-no-auto-rollback";

/// The rollback defect of a group: (where, what).
fn rollback_problem(g: &DeploymentGroup) -> Option<(Span, String)> {
    let Some(rb) = &g.auto_rollback else {
        return Some((g.span, "has no automatic rollback".into()));
    };
    if !rb.is_on(false) {
        let at = rb.enabled.as_ref().map_or(rb.span, |v| v.span);
        return Some((at, "has automatic rollback disabled".into()));
    }
    let listed = !rb.items.is_empty() && rb.items.iter().all(|e| !e.is_dynamic());
    if listed && !rb.items.iter().any(|e| e.text == "DEPLOYMENT_FAILURE") {
        return Some((rb.span, "does not roll back on DEPLOYMENT_FAILURE".into()));
    }
    None
}

/// The alarm defect of a group: (where, what).
fn alarm_problem(g: &DeploymentGroup) -> Option<(Span, String)> {
    let Some(alarms) = &g.alarms else {
        return Some((g.span, "has no CloudWatch alarms to stop on".into()));
    };
    if !alarms.is_on(true) {
        let at = alarms.enabled.as_ref().map_or(alarms.span, |v| v.span);
        return Some((at, "has its CloudWatch alarms disabled".into()));
    }
    if alarms.items.is_empty() {
        return Some((alarms.span, "lists no CloudWatch alarms to stop on".into()));
    }
    None
}

impl Rule for NoAutoRollback {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for g in &deployment_group::of(file).groups {
            let fix = "enable autoRollbackConfiguration with DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM, and alarmConfiguration with the service's alarms";
            match (rollback_problem(g), alarm_problem(g)) {
                (Some((a, what_a)), Some((b, what_b))) if a == b => {
                    out.push(Finding::new(
                        ID_ROLLBACK,
                        file.at(a),
                        format!("{} {what_a} and {what_b}: {fix}", g.label),
                    ));
                }
                (one, two) => {
                    for (at, what) in [one, two].into_iter().flatten() {
                        out.push(Finding::new(
                            ID_ROLLBACK,
                            file.at(at),
                            format!("{} {what}: {fix}", g.label),
                        ));
                    }
                }
            }
        }
    }
}

/// `deployment-all-at-once-prod`.
pub struct AllAtOnceProd;

impl Rule for AllAtOnceProd {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for g in &deployment_group::of(file).groups {
            if !g.names().any(is_prod) {
                continue;
            }
            let (at, config) = match &g.config {
                Some(c) if c.text.contains("AllAtOnce") => (c.span, c.text.clone()),
                None if g.ecs => (
                    g.span,
                    "CodeDeployDefault.ECSAllAtOnce (the ECS default)".into(),
                ),
                _ => continue,
            };
            let better = if config.contains("Lambda") {
                "CodeDeployDefault.LambdaCanary10Percent5Minutes"
            } else if g.ecs || config.contains("ECS") {
                "CodeDeployDefault.ECSCanary10Percent5Minutes"
            } else {
                "CodeDeployDefault.HalfAtATime"
            };
            out.push(Finding::new(
                "deployment-all-at-once-prod",
                file.at(at),
                format!(
                    "production {} shifts all traffic at once with {config}: use a canary or linear configuration such as {better}",
                    g.label
                ),
            ));
        }
    }
}
