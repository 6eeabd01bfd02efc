//! List pagination as Atlas does it: `pageNum` (≥1, default 1), `itemsPerPage` (1..500, default
//! 100), `includeCount` (default true); `{"links": [...], "results": [...], "totalCount": N}`.

use serde_json::{Value, json};

use super::{AtlasError, Ctx};

fn number(ctx: &Ctx<'_>, name: &str, default: usize, max: usize) -> Result<usize, AtlasError> {
    let Some((_, text)) = ctx.query.iter().find(|(k, _)| k == name) else {
        return Ok(default);
    };
    match text.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(AtlasError::new(
            400,
            "VALIDATION_ERROR",
            format!("Invalid {name} value {text}: must be between 1 and {max}."),
        )
        .param(name)),
    }
}

/// One page of `items` listed at `path` (below the API base).
pub fn paginate(ctx: &Ctx<'_>, path: &str, items: Vec<Value>) -> Result<Value, AtlasError> {
    let page = number(ctx, "pageNum", 1, usize::MAX)?;
    let per_page = number(ctx, "itemsPerPage", 100, 500)?;
    let include_count = match ctx.query.iter().find(|(k, _)| k == "includeCount") {
        None => true,
        Some((_, v)) if v == "true" => true,
        Some((_, v)) if v == "false" => false,
        Some((_, v)) => {
            return Err(AtlasError::new(
                400,
                "VALIDATION_ERROR",
                format!("Invalid includeCount value {v}: must be true or false."),
            )
            .param("includeCount"));
        }
    };
    let total = items.len();
    let results: Vec<Value> = items
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    let href = |n: usize| {
        json!({
            "href": format!("{}{path}?includeCount={include_count}&pageNum={n}&itemsPerPage={per_page}", ctx.base),
            "rel": match n.cmp(&page) {
                std::cmp::Ordering::Less => "previous",
                std::cmp::Ordering::Equal => "self",
                std::cmp::Ordering::Greater => "next",
            },
        })
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(href(page - 1));
    }
    links.push(href(page));
    if page.saturating_mul(per_page) < total {
        links.push(href(page + 1));
    }
    let mut answer = json!({"links": links, "results": results});
    if include_count {
        answer["totalCount"] = json!(total);
    }
    Ok(answer)
}
