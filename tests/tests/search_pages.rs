//! Paged search and listing: pages put together are exactly the whole sorted result.

use partage::{Category, ItemDraft, ItemFilter};
use partage_tests::neighbourhood;

#[test]
fn pages_put_together_are_the_whole_sorted_result() {
    let (nodes, ns) = neighbourhood(&["Outilthèque"]);
    let node = &nodes[0].node;
    let drafts: Vec<ItemDraft> = (0..137)
        .map(|i| ItemDraft {
            // Titles out of order, some equal (ties break by id), accents mixed in.
            title: format!("{} {}", ["Échelle", "perceuse", "Établi", "pelle"][i % 4], (i * 37) % 50),
            category: Some(if i % 3 == 0 { Category::Garden } else { Category::Tools }),
            ..ItemDraft::default()
        })
        .collect();
    node.add_items(&ns, drafts).unwrap();
    for (query, filter) in [
        ("e", ItemFilter::default()),
        ("pe", ItemFilter::default()),
        ("e", ItemFilter { category: Some(Category::Garden), ..ItemFilter::default() }),
    ] {
        let whole = node.search(query, &filter).unwrap();
        assert!(whole.len() > 20, "{query}: {}", whole.len());
        for limit in [1, 7, 20, 1000] {
            let mut joined = Vec::new();
            let mut offset = 0;
            loop {
                let page = node.search_page(query, &filter, limit, offset).unwrap();
                assert_eq!(page.total, whole.len());
                assert!(page.items.len() <= limit);
                if page.items.is_empty() {
                    break;
                }
                offset += page.items.len();
                joined.extend(page.items);
            }
            assert_eq!(joined, whole, "query {query:?}, limit {limit}");
        }
    }
    let all = node.list_items(&ItemFilter::default()).unwrap();
    let page = node.list_page(&ItemFilter::default(), 10, 130).unwrap();
    assert_eq!((page.total, page.items.as_slice()), (137, &all[130..]));
    assert!(node.search_page("e", &ItemFilter::default(), 0, 0).unwrap().items.is_empty());
    assert!(node.search_page("e", &ItemFilter::default(), 10, usize::MAX).unwrap().items.is_empty());
}
