"""The routing measurement's pure parts: the simulated addresses and a mode's figures."""
import ipaddress

from portal_bench import routing
from portal_bench.plan import FULL


def test_simulated_addresses_are_distinct_in_the_pool_and_the_same_every_run():
    addresses = routing.simulated_addresses(1000)
    assert len(set(addresses)) == 1000
    assert all(ipaddress.ip_address(a) in routing.POOL for a in addresses)
    assert addresses == routing.simulated_addresses(1000)
    # Nearly every address has a /24 of its own, so ip_hash sees about as many keys as clients.
    blocks = {a.rsplit(".", 1)[0] for a in addresses}
    assert len(blocks) > 980


def test_a_modes_figures_from_its_placements():
    clients = [f"10.0.{i}.1" for i in range(8)]
    placements = {
        3: dict(zip(clients, ["p-streamlit-1", "p-streamlit-2", "p-streamlit-3"] * 3)),
        4: dict(zip(clients, ["p-streamlit-1", "p-streamlit-2", "p-streamlit-3", "p-streamlit-4"] * 2)),
        2: dict(zip(clients, ["p-streamlit-1", "p-streamlit-2"] * 4)),
    }
    figures = routing.summarize(placements, None, FULL)
    assert figures["spread"][2]["clients"] == [4, 4]
    assert figures["spread"][3]["clients"] == [3, 3, 2]
    assert figures["spread"][4]["max_over_fair"] == 1.0
    assert figures["scale"]["from"] == 3 and figures["scale"]["to"] == 4
    # Clients 3..7 of the 3-replica placement sit elsewhere with 4 replicas: 5 of 8 move.
    assert figures["scale"]["moved"] == 5 / 8


def test_a_replica_that_got_no_client_counts_as_zero():
    clients = ["10.0.0.1", "10.0.1.1"]
    placements = {2: dict.fromkeys(clients, "p-streamlit-1"), 3: dict.fromkeys(clients, "p-streamlit-1"),
                  4: dict.fromkeys(clients, "p-streamlit-2")}
    figures = routing.summarize(placements, None, FULL)
    assert figures["spread"][3]["clients"] == [2, 0, 0]
    assert figures["spread"][3]["min_over_fair"] == 0
