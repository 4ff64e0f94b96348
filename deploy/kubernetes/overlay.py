"""Make an operator's kustomize overlay of this base from their .env.

    python3 deploy/kubernetes/overlay.py ENV_FILE DIR [--registry REGISTRY] [--tag TAG]

DIR gets kustomization.yaml and secrets.env (mode 600): the base with the .env's settings in
its ConfigMaps, the Secret portal-secrets from its secrets, each container's requests and limits
from *_CPUS and *_MEM_LIMIT, STREAMLIT_REPLICAS, PORTAL_PORT, TLS mode when TLS_CERT_FILE is set
(the pair is copied to DIR/tls), django's way out to EMAIL_HOST when it is set, and the images
from REGISTRY. A setting the .env leaves out or empty has .env.example's value. The .env is
checked first, as ops/up checks it. Run it again after changing .env, then `kubectl apply -k DIR`.
"""
import argparse
import json
import os
import re
import sys
from pathlib import Path

BASE = Path(__file__).resolve().parent
ROOT = BASE.parents[1]
sys.path.insert(0, str(ROOT / "ops" / "lib"))
import envfile  # noqa: E402

# portal-secrets holds these, and no ConfigMap does.
SECRETS = [*envfile.SECRETS, "EMAIL_HOST_PASSWORD"]
# Whose requests and limits each pair of settings is: (kind, name, containers, init containers).
RESOURCES = {
    "NGINX": ("Deployment", "nginx", ["nginx"], []),
    "DJANGO": ("Deployment", "django", ["django"], []),
    "STREAMLIT": ("StatefulSet", "streamlit", ["streamlit"], []),
}
IMAGES = ["partner-portal-nginx", "partner-portal-django", "partner-portal-streamlit"]
# The base's ConfigMaps, one per file: the names each holds, with their defaults.
SETTINGS = {path.stem: [name for _, name, _ in envfile.parse(path)] for path in sorted(BASE.glob("settings/*.env"))}

# The overlay's own objects (the Secret, the mail policy) go where the base's are.
NAMESPACE = re.search(r"^namespace: (\S+)$", (BASE / "kustomization.yaml").read_text(encoding="utf-8"), re.M).group(1)


class OverlayError(Exception):
    pass


def memory(value):
    """Docker's 512m or 2g in Kubernetes' units: Kubernetes would read 512m as milli-bytes."""
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", value.lower()).groups()
    return number + {"": "", "k": "Ki", "m": "Mi", "g": "Gi"}[unit]


def pod_patch(kind, name, pod, **spec):
    """A strategic merge patch of a workload's pod template: containers merge by name."""
    body = {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name},
            "spec": {**spec, "template": {"spec": pod}}}
    return {"target": {"kind": kind, "name": name}, "patch": json.dumps(body)}


def json_patch(kind, name, *operations):
    return {"target": {"kind": kind, "name": name}, "patch": json.dumps(list(operations))}


def resources_patch(values, prefix):
    kind, name, containers, init_containers = RESOURCES[prefix]
    amounts = {"cpu": values[f"{prefix}_CPUS"], "memory": memory(values[f"{prefix}_MEM_LIMIT"])}
    # Requests equal limits, as in the base: the scheduler reserves what compose would allow.
    entry = {"resources": {"requests": amounts, "limits": amounts}}
    pod = {"containers": [{"name": container, **entry} for container in containers]}
    if init_containers:
        pod["initContainers"] = [{"name": container, **entry} for container in init_containers]
    replicas = {"replicas": int(values["STREAMLIT_REPLICAS"])} if prefix == "STREAMLIT" else {}
    return pod_patch(kind, name, pod, **replicas)


def mail_policy(values):
    """compose.mail.yaml's network of django's own: out to EMAIL_HOST's port, and only from django."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "django-mail"},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "django"}},
            "policyTypes": ["Egress"],
            "egress": [{"ports": [{"protocol": "TCP", "port": int(values["EMAIL_PORT"])}]}],
        },
    }


def tls_patches(values):
    """compose.tls.yaml: HTTPS on 8443 behind PORTAL_TLS_PORT, the pair from the Secret nginx-tls."""
    tls_env = [{"name": "TLS_ENABLED", "value": "true"},
               {"name": "DJANGO_HSTS_SECONDS", "value": values["DJANGO_HSTS_SECONDS"]}]
    port = int(values["PORTAL_TLS_PORT"])
    nginx = {
        "containers": [{
            "name": "nginx",
            "ports": [{"name": "https", "containerPort": 8443}],
            "env": [*tls_env, {"name": "PORTAL_TLS_PORT", "value": str(port)}],
            "volumeMounts": [{"name": "tls", "mountPath": "/etc/nginx/tls", "readOnly": True}],
        }],
        # Readable by nginx's pod group (fsGroup), which nginx's user is in, and by nobody else.
        "volumes": [{"name": "tls", "secret": {"secretName": "nginx-tls", "defaultMode": 0o440}}],
    }
    return [
        pod_patch("Deployment", "nginx", nginx),
        pod_patch("Deployment", "django", {"containers": [{"name": "django", "env": tls_env}]}),
        json_patch("Service", "nginx", {"op": "add", "path": "/spec/ports/-",
                                        "value": {"name": "https", "port": port, "targetPort": "https"}}),
        json_patch("NetworkPolicy", "nginx",
                   {"op": "add", "path": "/spec/ingress/0/ports/-", "value": {"protocol": "TCP", "port": 8443}}),
    ]


def kustomization(values, target, registry, tag):
    overlay = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": NAMESPACE,
        "resources": [os.path.relpath(BASE, target)],
        "configMapGenerator": [
            {"name": group, "behavior": "merge", "literals": [f"{name}={values[name]}" for name in names]}
            for group, names in SETTINGS.items()
        ],
        "secretGenerator": [{"name": "portal-secrets", "envs": ["secrets.env"]}],
        "patches": [
            *(resources_patch(values, prefix) for prefix in RESOURCES),
            json_patch("Service", "nginx",
                       {"op": "replace", "path": "/spec/ports/0/port", "value": int(values["PORTAL_PORT"])}),
        ],
    }
    if values["TLS_CERT_FILE"]:
        pair = ["cert.pem=tls/cert.pem", "key.pem=tls/key.pem"]
        overlay["secretGenerator"].append({"name": "nginx-tls", "files": pair})
        overlay["patches"] += tls_patches(values)
    if registry:
        registry = registry.rstrip("/")
        overlay["images"] = [{"name": image, "newName": f"{registry}/{image}", "newTag": tag} for image in IMAGES]
    if values["EMAIL_HOST"]:
        overlay["resources"].append("mail.yaml")
    return overlay


def write(path, text, mode=0o644):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(fd, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def make(env_file, target, registry="", tag="latest"):
    target = Path(target).resolve()
    if target.is_relative_to(ROOT):
        raise OverlayError(f"{target} is inside the checkout, where its secrets could be committed: "
                           "pick a folder outside it")
    try:
        envfile.check(env_file, port_check=False)
    except envfile.EnvError as exc:
        raise OverlayError(str(exc)) from None
    # As compose's ${NAME:-default}: a setting that is missing or empty takes the example's value.
    values = envfile.values(ROOT / ".env.example")
    values.update((name, value) for name, value in envfile.values(env_file).items() if value)
    missing = [name for name in envfile.SECRETS if not values[name]]
    if missing:
        raise OverlayError(f"{env_file} sets no {', '.join(missing)} (ops/up generates them)")
    target.mkdir(parents=True, exist_ok=True)
    if values["TLS_CERT_FILE"]:
        # kustomize reads only files inside the overlay: the pair is copied there.
        (target / "tls").mkdir(exist_ok=True)
        for name, setting in (("cert.pem", "TLS_CERT_FILE"), ("key.pem", "TLS_KEY_FILE")):
            write(target / "tls" / name, Path(values[setting]).read_text(encoding="utf-8"), 0o600)
    write(target / "secrets.env", "".join(f"{name}={values[name]}\n" for name in SECRETS), 0o600)
    if values["EMAIL_HOST"]:
        write(target / "mail.yaml", json.dumps(mail_policy(values), indent=2) + "\n")
    # JSON is YAML: no YAML library is needed on the operator's machine.
    header = "# Made by deploy/kubernetes/overlay.py from the .env: run it again, do not edit.\n"
    overlay = kustomization(values, target, registry, tag)
    write(target / "kustomization.yaml", header + json.dumps(overlay, indent=2) + "\n")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env_file")
    parser.add_argument("dir")
    parser.add_argument("--registry", default="", help="where the images were pushed, e.g. registry.example.com/portal")
    parser.add_argument("--tag", default="latest", help="the images' tag there")
    args = parser.parse_args(argv)
    try:
        make(args.env_file, args.dir, args.registry, args.tag)
    except OverlayError as exc:
        sys.exit(f"error: {exc}")
    print(f"wrote {args.dir}: apply it with kubectl apply -k {args.dir}")


if __name__ == "__main__":
    main(sys.argv[1:])
