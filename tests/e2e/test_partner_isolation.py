"""Two partners in two browsers at the same time: neither ever sees the other's datasets."""
from playwright.sync_api import expect

from e2e.partner_browser import (dataset_row, expect_analytics, expect_home, go_to, import_dataset, log_in,
                                 new_partner, picker_options, sales_csv)

FIRST_DATASETS = ("대한 분기 매출", "대한 신제품 판매")
SECOND_DATASET = "민국 지점 매출"


def test_a_second_partner_never_sees_the_first_partners_datasets(stack, new_page, shot):
    first, second = new_partner(stack, "Daehan Foods"), new_partner(stack, "Minguk Retail")
    for name in FIRST_DATASETS:
        import_dataset(stack, first.slug, sales_csv(2025, {"서울": 500, "부산": 300}), name)
    import_dataset(stack, second.slug, sales_csv(2025, {"대구": 200, "광주": 100}), SECOND_DATASET)
    first_page, second_page = new_page(), new_page()
    for page, partner in ((first_page, first), (second_page, second)):
        page.goto(f"{stack.url}/accounts/login/")
        log_in(page, partner)
        expect_home(page, partner)

    for name in FIRST_DATASETS:
        expect(dataset_row(first_page, name)).to_be_visible()
    # The first partner's own link to a dataset: the address the second one will guess.
    guessed = dataset_row(first_page, FIRST_DATASETS[0]).get_by_role("link").first.get_attribute("href")
    shot(first_page, "first-home")
    expect(dataset_row(second_page, SECOND_DATASET)).to_be_visible()
    for name in FIRST_DATASETS:
        expect(second_page.locator("body")).not_to_contain_text(name)
    shot(second_page, "second-home")

    # Both analytics sessions open at once (from one address, so on the same replica).
    for page, partner in ((first_page, first), (second_page, second)):
        page.get_by_role("link", name="Open analytics").click()
        expect_analytics(page, partner)
    first_options = picker_options(first_page)
    expect(first_options).to_have_count(len(FIRST_DATASETS))
    assert sorted(first_options.all_inner_texts()) == sorted(FIRST_DATASETS)
    shot(first_page, "first-picker")
    first_page.keyboard.press("Escape")
    expect(picker_options(second_page)).to_have_text([SECOND_DATASET])
    shot(second_page, "second-picker")
    second_page.keyboard.press("Escape")
    expect(second_page.get_by_role("heading", level=1)).to_have_text(SECOND_DATASET)
    for name in FIRST_DATASETS:
        expect(second_page.locator("body")).not_to_contain_text(name)

    # Two datasets to compare are two of its own: the first partner's are not among them.
    go_to(second_page, "Compare")
    second_page.get_by_role("radio", name="Two datasets").click()
    expect(second_page.get_by_text("Comparing datasets needs two of them, and you have one.")).to_be_visible()
    shot(second_page, "second-compare")

    # Guessing the first partner's dataset address finds nothing, while the first partner opens it.
    for path in (guessed, f"{guessed}download/"):
        response = second_page.goto(f"{stack.url}{path}")
        assert response.status == 404, f"{path} for the second partner"
        expect(second_page.locator("body")).not_to_contain_text(FIRST_DATASETS[0])
        shot(second_page, "second-guesses-" + path.strip("/").replace("/", "-"))
    response = first_page.goto(f"{stack.url}{guessed}")
    assert response.status == 200, f"{guessed} for the first partner"
    expect(first_page.get_by_role("heading", level=1)).to_have_text(FIRST_DATASETS[0])
    shot(first_page, "first-dataset-page")
