//! Tests of `#[derive(LabelSet)]` and `#[derive(LabelValue)]`, used the way a user would: through
//! the `vitals` facade.

mod compile_fail;
mod encode;
mod label_set;
mod label_value;

/// Every value a [`vitals::LabelValue`] or [`vitals::LabelSet`] visits, collected in order.
fn visited(visit: impl FnOnce(&mut dyn FnMut(&str))) -> Vec<String> {
    let mut values = Vec::new();
    visit(&mut |value| values.push(value.to_owned()));
    values
}
