//! The README's "what can change in place, per cloud" table is the planner's own rules:
//! regenerate it with `cargo run -- docs` when this fails.

use mongocloud_operator::reconcile::dbinstance_inplace::splice_readme;

#[test]
fn the_readme_in_place_table_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let current = splice_readme(&readme).expect("README.md has the in-place-table markers");
    assert!(
        current == readme,
        "README.md's in-place table is stale: run `cargo run --quiet -- docs`"
    );
}
