"""The Kubernetes manifests (deploy/kubernetes) render, validate against the Kubernetes schemas
offline, and keep compose.yaml's shape: its health checks, hardening, limits, settings, volumes
and networks. No cluster is needed; compose.yaml and .env.example are what they are held to."""
import base64
import importlib.util
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

import envfile

ROOT = Path(__file__).resolve().parents[3]
BASE = ROOT / "deploy" / "kubernetes"
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
# The services that run: the shared base and builder entries are build steps (profile "base").
SERVICES = {name: service for name, service in COMPOSE["services"].items() if "profiles" not in service}
DEFAULTS = envfile.values(ROOT / ".env.example")
# The oldest release the manifests are written for (pod security admission, used by the
# namespace, is stable from 1.25) and the newest whose schemas the validator carries.
VERSIONS = ["1.25.0", kubernetes_validate.latest_version()]
# Each compose service's CPU and memory settings.
LIMITS = {"nginx": "NGINX", "django": "DJANGO", "streamlit": "STREAMLIT"}
SECRETS = [*envfile.SECRETS, "EMAIL_HOST_PASSWORD"]


def kubectl(*args):
    beside_python = Path(sys.executable).with_name("kubectl")
    binary = str(beside_python) if beside_python.exists() else shutil.which("kubectl")
    assert binary, "no kubectl: ops/test installs it into .venv from tests/requirements.txt"
    result = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def render(folder):
    return [doc for doc in yaml.safe_load_all(kubectl("kustomize", str(folder))) if doc]


def load_overlay_module():
    spec = importlib.util.spec_from_file_location("k8s_overlay", BASE / "overlay.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# What an operator changes in their .env, and what the overlay must make of it.
OPERATOR_SETTINGS = {
    "STREAMLIT_MEM_LIMIT": "3g",
    "STREAMLIT_CPUS": "1.5",
    "STREAMLIT_REPLICAS": "3",
    "DJANGO_MEM_LIMIT": "1536m",
    "NGINX_CPUS": "0.25",
    "PROBE_INTERVAL": "30",
    "DJANGO_ALLOWED_HOSTS": "portal.example.com",
    "PORTAL_PORT": "80",
    "EMAIL_HOST": "smtp.example.com",
    "EMAIL_PORT": "465",
    "EMAIL_HOST_PASSWORD": "mail-password-of-the-operator",
}


@pytest.fixture(scope="module")
def base():
    return render(BASE)


@pytest.fixture(scope="module")
def operator(tmp_path_factory):
    """(.env values, rendered documents) of an operator's overlay made from their .env."""
    folder = tmp_path_factory.mktemp("site")
    env_file = folder / ".env"
    envfile.create(ROOT / ".env.example", env_file, [f"{k}={v}" for k, v in OPERATOR_SETTINGS.items()])
    load_overlay_module().make(env_file, folder / "overlay", registry="registry.example.com/portal", tag="1.4.2")
    return envfile.values(env_file), render(folder / "overlay")


@pytest.fixture(scope="module")
def tls_operator(tmp_path_factory):
    """The rendered overlay of an .env in TLS mode (compose.tls.yaml's settings)."""
    folder = tmp_path_factory.mktemp("tls-site")
    for name, kind in (("cert.pem", "CERTIFICATE"), ("key.pem", "PRIVATE KEY")):
        (folder / name).write_text(f"-----BEGIN {kind}-----\nMIIB\n-----END {kind}-----\n")
    env_file = folder / ".env"
    envfile.create(ROOT / ".env.example", env_file, [
        f"TLS_CERT_FILE={folder / 'cert.pem'}", f"TLS_KEY_FILE={folder / 'key.pem'}",
        "PORTAL_TLS_PORT=443", "DJANGO_HSTS_SECONDS=600"])
    load_overlay_module().make(env_file, folder / "overlay")
    return render(folder / "overlay")


def find(docs, kind, name=None):
    found = [doc for doc in docs if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)]
    assert found, f"no {kind} {name or ''}"
    return found if name is None else found[0]


def configmap(docs, name):
    """The ConfigMap a reference names, or a generator's by its own name (before the hash)."""
    named = re.compile(rf"{name}(-[a-z0-9]{{10}})?")
    return next(doc for doc in find(docs, "ConfigMap") if named.fullmatch(doc["metadata"]["name"]))


def workloads(docs):
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] in ("Deployment", "StatefulSet")}


def containers(workload, init=True):
    spec = workload["spec"]["template"]["spec"]
    return spec["containers"] + (spec.get("initContainers", []) if init else [])


def environment(docs, container):
    """{name: ("configmap", key) | ("secret", key) | ("value", value)} as the container gets it."""
    env = {}
    for source in container.get("envFrom", []):
        env.update({key: ("configmap", key) for key in configmap(docs, source["configMapRef"]["name"])["data"]})
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = ("value", item["value"])
        else:
            env[item["name"]] = ("secret", item["valueFrom"]["secretKeyRef"]["key"])
    return env


QUANTITY_UNITS = {"": 1, "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9,
                  "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def quantity(value):
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]*)", str(value)).groups()
    return Decimal(number) * QUANTITY_UNITS[unit]


def docker_size(value):
    """Compose's and Docker's sizes: 64m, 2g (powers of 1024)."""
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", value.lower()).groups()
    return Decimal(number) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[unit]


def compose_setting(value):
    """NAME of a compose value taken from .env (`${NAME:-default}`, `${NAME:?message}`), else None."""
    match = re.fullmatch(r"\$\{(\w+)(?::[-?].*)?\}", str(value))
    return match.group(1) if match else None


@pytest.mark.parametrize("version", VERSIONS)
def test_every_rendered_document_is_valid_kubernetes(base, operator, tls_operator, version):
    for doc in base + operator[1] + tls_operator:
        # Strict: a field Kubernetes does not know (a typo) is an error, not silently dropped.
        kubernetes_validate.validate(doc, version, strict=True)


def test_the_validator_refuses_what_the_api_server_would(base):
    deployment = find(base, "Deployment", "nginx")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_the_workloads_are_composes_services_from_its_images(base):
    assert set(workloads(base)) == set(SERVICES)
    images = {service["image"] for service in SERVICES.values()}
    for name, workload in workloads(base).items():
        assert workload["spec"]["template"]["spec"]["containers"][0]["image"] == SERVICES[name]["image"]
        assert {container["image"] for container in containers(workload)} <= images


def test_every_container_is_locked_down(base):
    for name, workload in workloads(base).items():
        pod = workload["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        for container in containers(workload):
            where = f"{name}/{container['name']}"
            effective = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
            assert effective.get("runAsNonRoot") is True, where
            assert effective.get("runAsUser", 0) > 0, where
            assert effective.get("readOnlyRootFilesystem") is True, where
            assert effective.get("allowPrivilegeEscalation") is False, where
            assert effective.get("capabilities") == {"drop": ["ALL"]}, where
            assert effective.get("seccompProfile") == {"type": "RuntimeDefault"}, where
    # The API server refuses, in this namespace, any pod that is less locked down.
    namespace = find(base, "Namespace")[0]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_every_probe_runs_the_compose_health_check(base):
    for name, workload in workloads(base).items():
        check = SERVICES[name]["healthcheck"]
        assert check["test"][0] == "CMD"
        for container in containers(workload, init=False):
            for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
                probe = container.get(kind)
                assert probe, f"{name}: no {kind}"
                assert probe["exec"]["command"] == check["test"][1:], f"{name}: {kind}"
                assert f"{probe['timeoutSeconds']}s" == check["timeout"], f"{name}: {kind}"
            # Compose's start_period: the startup probe allows as long before the others judge.
            startup = container["startupProbe"]
            assert startup["periodSeconds"] * startup["failureThreshold"] >= int(check["start_period"].rstrip("s"))
            assert container["readinessProbe"]["failureThreshold"] == check["retries"]


def test_nginx_is_the_only_way_in_and_keeps_partners_addresses(base):
    exposed = [doc for doc in find(base, "Service") if doc["spec"].get("type") in ("LoadBalancer", "NodePort")]
    assert [doc["metadata"]["name"] for doc in exposed] == ["nginx"]
    service = exposed[0]
    assert service["spec"]["externalTrafficPolicy"] == "Local"
    assert [port["port"] for port in service["spec"]["ports"]] == [int(DEFAULTS["PORTAL_PORT"])]
    nginx = find(base, "Deployment", "nginx")
    assert service["spec"]["selector"].items() <= nginx["spec"]["template"]["metadata"]["labels"].items()
    container = nginx["spec"]["template"]["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports[service["spec"]["ports"][0]["targetPort"]] == 8080


def test_streamlit_replicas_have_stable_names_behind_a_headless_service(base):
    statefulset = find(base, "StatefulSet", "streamlit")
    service = find(base, "Service", statefulset["spec"]["serviceName"])
    assert service["spec"]["clusterIP"] == "None"
    # Only ready replicas are in its answers: nginx gives none a client before it answers.
    assert not service["spec"].get("publishNotReadyAddresses")
    assert service["spec"]["selector"].items() <= statefulset["spec"]["template"]["metadata"]["labels"].items()
    assert [port["port"] for port in service["spec"]["ports"]] == [8501]
    assert statefulset["spec"]["replicas"] == int(DEFAULTS["STREAMLIT_REPLICAS"])


def test_nginx_resolves_the_replicas_by_their_stable_names(base):
    statefulset = find(base, "StatefulSet", "streamlit")
    nginx = find(base, "Deployment", "nginx")["spec"]["template"]["spec"]
    env = environment(base, nginx["containers"][0])
    service = statefulset["spec"]["serviceName"]
    assert env["STREAMLIT_SERVICE"] == ("value", service)
    # The renderer's streamlit-N is completed to the replica's own name streamlit-N.<service>.
    namespace = statefulset["metadata"]["namespace"]
    assert f"{service}.{namespace}.svc.cluster.local" in nginx["dnsConfig"]["searches"]


def test_nginx_renders_one_server_per_replica_from_what_kubernetes_dns_answers(base, monkeypatch):
    spec = importlib.util.spec_from_file_location("render_config", ROOT / "services" / "nginx" / "render_config.py")
    render_config = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render_config)
    statefulset = find(base, "StatefulSet", "streamlit")
    service, namespace = statefulset["spec"]["serviceName"], statefulset["metadata"]["namespace"]
    # The Kubernetes DNS specification: a headless Service's name answers its ready endpoints'
    # addresses, and each address's PTR record names the pod <hostname>.<service>.<namespace>.svc.
    pods = {f"{statefulset['metadata']['name']}-{n}": f"10.244.{n}.7" for n in range(statefulset["spec"]["replicas"])}
    own_names = {name: f"{name}.{service}.{namespace}.svc.cluster.local" for name in pods}
    addresses = {address: own_names[name] for name, address in pods.items()}

    def getaddrinfo(host, port, type=0):
        if host != service:
            raise render_config.socket.gaierror(host)
        return [(None, None, None, None, (address, port)) for address in addresses]

    monkeypatch.setattr(render_config.socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(render_config.socket, "gethostbyaddr", lambda address: (addresses[address], [], [address]))
    monkeypatch.setattr(render_config, "replica_state", lambda address: render_config.READY)
    nginx = find(base, "Deployment", "nginx")["spec"]["template"]["spec"]
    _, asked = environment(base, nginx["containers"][0])["STREAMLIT_SERVICE"]
    servers = re.findall(r"server (\S+):8501", render_config.streamlit_upstreams(asked)["STREAMLIT_SERVERS"])
    assert sorted(servers) == sorted(pods)
    # nginx resolves each name through the pod's search path: the cluster's own, then the pod's.
    search = [f"{namespace}.svc.cluster.local", "svc.cluster.local", "cluster.local", *nginx["dnsConfig"]["searches"]]
    for server in servers:
        resolved = [f"{server}.{domain}" for domain in search if f"{server}.{domain}" in addresses.values()]
        assert resolved == [own_names[server]]


def assert_resources(docs, values):
    for name, prefix in LIMITS.items():
        for container in containers(workloads(docs)[name]):
            resources = container["resources"]
            where = f"{name}/{container['name']}"
            assert quantity(resources["limits"]["cpu"]) == Decimal(values[f"{prefix}_CPUS"]), where
            assert quantity(resources["limits"]["memory"]) == docker_size(values[f"{prefix}_MEM_LIMIT"]), where
            assert resources["requests"] == resources["limits"], where


def test_requests_and_limits_are_the_env_example_defaults(base):
    assert_resources(base, DEFAULTS)


def test_settings_are_the_env_example_defaults_and_hold_no_secret(base):
    for doc in find(base, "ConfigMap"):
        for key, value in doc["data"].items():
            assert key in DEFAULTS, f"{doc['metadata']['name']}: {key} is not in .env.example"
            assert key not in SECRETS, f"{doc['metadata']['name']}: {key} is a secret"
            assert value == DEFAULTS[key], f"{doc['metadata']['name']}: {key}"


def test_containers_get_what_compose_gives_them(base):
    for name, service in SERVICES.items():
        for container in containers(workloads(base)[name], init=False):
            env = environment(base, container)
            for key, value in service["environment"].items():
                setting = compose_setting(value)
                assert key in env, f"{name}: compose sets {key}, Kubernetes does not"
                if setting is None:
                    assert env[key] == ("value", str(value)), f"{name}: {key}"
                else:
                    source = "secret" if setting in SECRETS else "configmap"
                    assert env[key] == (source, setting), f"{name}: {key} comes from {env[key]}, not {setting}"
        # Secrets reach only the services compose gives them to.
        given = {compose_setting(value) for value in service["environment"].values()} & set(SECRETS)
        taken = {key for container in containers(workloads(base)[name])
                 for source, key in environment(base, container).values() if source == "secret"}
        assert taken == given, name


def test_no_secret_is_in_the_base_or_the_repository(base):
    assert not [doc for doc in base if doc["kind"] == "Secret"]
    files = [path for path in BASE.rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    text = "\n".join(path.read_text(encoding="utf-8") for path in files)
    for name in SECRETS:
        assert not re.search(rf"^\s*-?\s*{name}=\S", text, re.M), f"{name} has a value under deploy/kubernetes"
    # A checkout's own .env: none of its secrets may have been copied under deploy/kubernetes.
    env_file = ROOT / ".env"
    if env_file.exists():
        for name, value in envfile.values(env_file).items():
            if name in SECRETS and value:
                assert value not in text, f"the value of {name} from .env is under deploy/kubernetes"


def test_the_overlay_is_never_written_inside_the_checkout(tmp_path):
    overlay = load_overlay_module()
    with pytest.raises(overlay.OverlayError, match="inside the checkout"):
        overlay.make(ROOT / ".env.example", BASE / "site")
    assert not (BASE / "site").exists()


def test_the_overlay_refuses_an_env_that_ops_up_would_refuse(tmp_path):
    overlay = load_overlay_module()
    env_file = tmp_path / ".env"
    env_file.write_text("STREAMLIT_MEM_LIMIT=2 GB\n")
    with pytest.raises(overlay.OverlayError, match=r"\.env:1: STREAMLIT_MEM_LIMIT"):
        overlay.make(env_file, tmp_path / "overlay")
    env_file.write_text("STREAMLIT_MEM_LIMIT=2g\n")
    with pytest.raises(overlay.OverlayError, match="DJANGO_SECRET_KEY"):
        overlay.make(env_file, tmp_path / "overlay")
    assert not (tmp_path / "overlay").exists()


def test_the_overlay_takes_the_operators_env(operator):
    values, docs = operator
    assert_resources(docs, values)
    assert find(docs, "StatefulSet", "streamlit")["spec"]["replicas"] == 3
    assert configmap(docs, "probe")["data"]["PROBE_INTERVAL"] == "30"
    assert configmap(docs, "hosts-and-uploads")["data"]["DJANGO_ALLOWED_HOSTS"] == "portal.example.com"
    assert find(docs, "Service", "nginx")["spec"]["ports"][0]["port"] == 80
    # The secrets are the .env's, in one Secret that every reference names.
    secret = find(docs, "Secret")[0]
    stored = {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}
    assert stored == {name: values.get(name, "") for name in SECRETS}
    for workload in workloads(docs).values():
        for container in containers(workload):
            for item in container.get("env", []):
                if "valueFrom" in item:
                    assert item["valueFrom"]["secretKeyRef"]["name"] == secret["metadata"]["name"]
    images = {container["image"] for workload in workloads(docs).values() for container in containers(workload)}
    assert images == {f"registry.example.com/portal/partner-portal-{name}:1.4.2" for name in LIMITS}
    # compose.mail.yaml's way out: django alone, to the mail port.
    mail = find(docs, "NetworkPolicy", "django-mail")
    assert mail["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "django"}
    assert mail["spec"]["egress"] == [{"ports": [{"protocol": "TCP", "port": 465}]}]


def test_the_overlay_turns_tls_mode_on_as_compose_tls_does(tls_operator):
    docs = tls_operator
    secret = next(doc for doc in find(docs, "Secret") if doc["metadata"]["name"].startswith("nginx-tls-"))
    assert base64.b64decode(secret["data"]["key.pem"]).startswith(b"-----BEGIN PRIVATE KEY-----")
    tls_compose = yaml.safe_load((ROOT / "compose.tls.yaml").read_text(encoding="utf-8"))["services"]
    nginx = find(docs, "Deployment", "nginx")["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in nginx["volumes"]}
    for name, service in tls_compose.items():
        container = containers(workloads(docs)[name], init=False)[0]
        env = environment(docs, container)
        assert env["TLS_ENABLED"] == ("value", "true"), name
        assert env["DJANGO_HSTS_SECONDS"] == ("value", "600"), name
        # Compose mounts each file of the pair (`${TLS_CERT_FILE:?...}:/etc/nginx/tls/cert.pem:ro`).
        for entry in service.get("volumes", []):
            path = Path(re.search(r"\}:(/[^:]+)", entry).group(1))
            mount = next(m for m in container["volumeMounts"] if m["mountPath"] == str(path.parent))
            assert volumes[mount["name"]]["secret"]["secretName"] == secret["metadata"]["name"]
            assert path.name in secret["data"]
    service = find(docs, "Service", "nginx")
    assert {(port["port"], port["targetPort"]) for port in service["spec"]["ports"]} == {(8080, "http"), (443, "https")}
    policy = find(docs, "NetworkPolicy", "nginx")["spec"]
    assert policy["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8080}, {"protocol": "TCP", "port": 8443}]}]


def test_compose_tmpfs_mounts_are_memory_backed_empty_dirs(base):
    for name, service in SERVICES.items():
        workload = workloads(base)[name]
        volumes = {volume["name"]: volume for volume in workload["spec"]["template"]["spec"]["volumes"]}
        for tmpfs in service["tmpfs"]:
            path, _, options = tmpfs.partition(":")
            size = dict(option.split("=") for option in options.split(","))["size"]
            for container in containers(workload, init=False):
                mount = next(m for m in container["volumeMounts"] if m["mountPath"] == path)
                empty_dir = volumes[mount["name"]]["emptyDir"]
                assert empty_dir["medium"] == "Memory", f"{name}: {path}"
                assert quantity(empty_dir["sizeLimit"]) == docker_size(size), f"{name}: {path}"


def test_compose_volumes_are_mounted_where_compose_mounts_them(base):
    claims = {doc["metadata"]["name"]: doc for doc in find(base, "PersistentVolumeClaim")}
    mounted_by = {}
    for name, service in SERVICES.items():
        workload = workloads(base)[name]
        volumes = {volume["name"]: volume for volume in workload["spec"]["template"]["spec"]["volumes"]}
        container = containers(workload, init=False)[0]
        mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
        for entry in service.get("volumes", []):
            volume, path, *mode = entry.split(":") if ":" in entry else (None, entry)
            assert path in mounts, f"{name}: nothing mounted at {path}"
            assert mounts[path].get("readOnly", False) == (mode == ["ro"]), f"{name}: {path}"
            source = volumes[mounts[path]["name"]]
            if volume is None:
                # An anonymous volume is the container's own, on disk: an emptyDir not in memory.
                assert "emptyDir" in source and source["emptyDir"].get("medium") != "Memory", f"{name}: {path}"
            if "persistentVolumeClaim" in source:
                mounted_by.setdefault(source["persistentVolumeClaim"]["claimName"], set()).add(name)
    # What survives in compose's named volumes survives here in claims: the database above all.
    assert "portal-data" in mounted_by
    for claim, users in mounted_by.items():
        # Pods of several workloads land on several nodes: their claim must allow that.
        wanted = "ReadWriteMany" if len(users) > 1 else "ReadWriteOnce"
        assert claims[claim]["spec"]["accessModes"] == [wanted], f"{claim}: used by {sorted(users)}"


def test_network_policies_match_composes_front_and_back_networks(base):
    policies = {doc["metadata"]["name"]: doc["spec"] for doc in find(base, "NetworkPolicy")}
    deny = policies.pop("default-deny")
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = policies.pop("dns")
    assert dns["podSelector"] == {} and "ingress" not in dns
    assert {port["port"] for rule in dns["egress"] for port in rule["ports"]} == {53}

    def peers(rules):
        return {peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                for rule in rules for peer in rule.get("to", rule.get("from", []))}

    for spec in policies.values():
        for rule in spec.get("ingress", []) + spec.get("egress", []):
            # Peers are pods of this namespace, never an address range.
            assert all(set(peer) == {"podSelector"} for peer in rule.get("to", rule.get("from", [])))
    by_pod = {spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: spec for spec in policies.values()}
    assert set(by_pod) == set(SERVICES)
    # From anywhere to nginx's port only (compose's front network); everything else is back.
    assert by_pod["nginx"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8080}]}]
    assert peers(by_pod["nginx"]["egress"]) == {"django", "streamlit"}
    assert peers(by_pod["django"]["ingress"]) == {"nginx", "streamlit"}
    assert "egress" not in by_pod["django"]  # compose's back network has no way out
    assert peers(by_pod["streamlit"]["ingress"]) == {"nginx"}
    assert peers(by_pod["streamlit"]["egress"]) == {"django"}
    open_to_all = [name for name, spec in by_pod.items() for rule in spec.get("ingress", []) if "from" not in rule]
    assert open_to_all == ["nginx"]
