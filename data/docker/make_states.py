#!/usr/bin/env python3
"""Writes the scripted Swarm cluster states of data/docker/states/ in the Engine API's JSON shapes.

Every object starts from the example of its definition in moby's docs/api/v1.47.yaml (Service, Task,
Network, SystemVersion, EventMessage; Docker 27) with all the members the example has, plus the members a
real daemon of that version also returns for such an object (PreviousSpec and UpdateStatus during an update,
Spec.TaskTemplate.Networks, EndpointSpec, IPAM, Scope, ...). Ids, names, labels, addresses and times are this
scenario's. Run it from the repository root; it rewrites the files byte for byte the same.

    python3 data/docker/make_states.py
"""
import copy
import json
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "states")

INGRESS = "4qvuz4ko70xaltuqbt8956gd1"   # the ingress network id of the v1.47 Task example
DEMO = "kq2ymd8o5l7yqwm9gpyx4dz3a"
BACKEND = "m4w3a1x0q7ce2dn5s8f6v9b2k"
BRIDGE = "f2de39df4171b0dc801e8002d1d999b77256983dfc63041c0f34030aa3977566"
HOST = "47cf8b8c6ab5a6d6bd0f6a3a1fb8db7e3bf2a7a0a8b8a0c9fd2e5c8d6b3f4a1e"
WEB = "9mnpnzenvg8p8tdbtq4wvbkcz"       # the service id of the v1.47 Service example
API = "ak7w3gjqoa3kuz8xcpnyy0pvl"       # the id of the v1.47 ServiceCreateResponse example
NODES = ["60gvrl6tm78dmak4yl7srz94v", "24ifsmvkjbyhk9cbd2w3pq5rt", "71izy0goik036k48jg985xnds"]


def t(seconds, nanos=0):
    """2026-11-27T10:MM:SS.nnnnnnnnnZ, `seconds` after 10:00."""
    return "2026-11-27T10:%02d:%02d.%09dZ" % (seconds // 60, seconds % 60, nanos)


def swarm_network(net_id, name, subnet, gateway, created, ingress=False):
    """A swarm network as GET /networks lists it on a manager (v1.47 Network definition)."""
    return {
        "Name": name,
        "Id": net_id,
        "Created": created,
        "Scope": "swarm",
        "Driver": "overlay",
        "EnableIPv4": True,
        "EnableIPv6": False,
        "IPAM": {"Driver": "default", "Options": None, "Config": [{"Subnet": subnet, "Gateway": gateway}]},
        "Internal": False,
        "Attachable": False,
        "Ingress": ingress,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": False,
        "Containers": None,
        "Options": {"com.docker.network.driver.overlay.vxlanid_list": "4096" if ingress else "4097"},
        "Labels": {},
    }


def local_network(net_id, name, driver, created, config):
    return {
        "Name": name,
        "Id": net_id,
        "Created": created,
        "Scope": "local",
        "Driver": driver,
        "EnableIPv4": True,
        "EnableIPv6": False,
        "IPAM": {"Driver": "default", "Options": None, "Config": config},
        "Internal": False,
        "Attachable": False,
        "Ingress": False,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": False,
        "Containers": {},
        "Options": {"com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.name": "docker0"}
        if driver == "bridge" else {},
        "Labels": {},
    }


NETWORK_SPECS = {
    INGRESS: ("ingress", "10.255.0.0/16", "10.255.0.1", True, 4096),
    DEMO: ("demo", "10.0.2.0/24", "10.0.2.1", False, 4097),
    BACKEND: ("backend", "10.0.3.0/24", "10.0.3.1", False, 4098),
}


def attached_network(net_id):
    """The Network object inside a task's NetworksAttachments (v1.47 Task example)."""
    name, subnet, gateway, ingress, vxlan = NETWORK_SPECS[net_id]
    spec = {
        "Name": name,
        "Labels": {"com.docker.swarm.internal": "true"} if ingress else {},
        "DriverConfiguration": {} if ingress else {"Name": "overlay"},
        "IPAMOptions": {"Driver": {}, "Configs": [{"Subnet": subnet, "Gateway": gateway}]},
        "Scope": "swarm",
    }
    if ingress:
        spec["Ingress"] = True
    return {
        "ID": net_id,
        "Version": {"Index": 18 if ingress else 24},
        "CreatedAt": "2026-11-27T09:31:11.912919752Z" if ingress else "2026-11-27T09:40:02.104402211Z",
        "UpdatedAt": "2026-11-27T09:31:11.955277358Z" if ingress else "2026-11-27T09:40:02.108813025Z",
        "Spec": spec,
        "DriverState": {"Name": "overlay", "Options": {"com.docker.network.driver.overlay.vxlanid_list": str(vxlan)}},
        "IPAMOptions": {"Driver": {"Name": "default"}, "Configs": [{"Subnet": subnet, "Gateway": gateway}]},
    }


def container_spec(image, env):
    spec = {
        "Image": image,
        "Labels": {"com.docker.stack.namespace": "demo"},
        "Env": env,
        "Init": False,
        "StopGracePeriod": 10000000000,
        "DNSConfig": {},
        "Isolation": "default",
    }
    return spec


def task_template(image, env, networks):
    return {
        "ContainerSpec": container_spec(image, env),
        "Resources": {"Limits": {}, "Reservations": {}},
        "RestartPolicy": {"Condition": "any", "Delay": 5000000000, "MaxAttempts": 0},
        "Placement": {"Platforms": [{"Architecture": "amd64", "OS": "linux"}]},
        "Networks": [{"Target": n, "Aliases": []} for n in networks],
        "ForceUpdate": 0,
        "Runtime": "container",
    }


def service(service_id, version, created, updated, name, labels, image, env, replicas, networks, vips, ports=None,
            previous=None, update_status=None):
    """A service as GET /services lists it (v1.47 Service definition and example)."""
    spec = {
        "Name": name,
        "Labels": labels,
        "TaskTemplate": task_template(image, env, networks),
        "Mode": {"Replicated": {"Replicas": replicas}},
        "UpdateConfig": {"Parallelism": 1, "Delay": 1000000000, "FailureAction": "pause", "Monitor": 15000000000,
                         "MaxFailureRatio": 0.15, "Order": "stop-first"},
        "RollbackConfig": {"Parallelism": 1, "Delay": 1000000000, "FailureAction": "pause", "Monitor": 15000000000,
                           "MaxFailureRatio": 0.15, "Order": "stop-first"},
        "EndpointSpec": {"Mode": "vip"},
    }
    endpoint = {"Spec": {"Mode": "vip"}, "VirtualIPs": [{"NetworkID": n, "Addr": a} for n, a in vips]}
    if ports:
        spec["EndpointSpec"]["Ports"] = ports
        endpoint["Spec"]["Ports"] = ports
        endpoint["Ports"] = ports
    obj = {"ID": service_id, "Version": {"Index": version}, "CreatedAt": created, "UpdatedAt": updated, "Spec": spec}
    if previous is not None:
        obj["PreviousSpec"] = previous
    obj["Endpoint"] = endpoint
    if update_status is not None:
        obj["UpdateStatus"] = update_status
    return obj


def task(task_id, version, created, updated, service_id, slot, node, state, status_time, desired, image, env, networks,
         addresses, container=None, message=None):
    """A task as GET /tasks lists it (v1.47 Task definition and example)."""
    status = {"Timestamp": status_time, "State": state, "Message": message or MESSAGES[state]}
    if container is not None:
        status["ContainerStatus"] = {"ContainerID": container, "PID": 0 if state in ("shutdown", "complete") else 677,
                                     "ExitCode": 0}
    status["PortStatus"] = {}
    obj = {
        "ID": task_id,
        "Version": {"Index": version},
        "CreatedAt": created,
        "UpdatedAt": updated,
        "Labels": {},
        "Spec": task_template(image, env, networks),
        "ServiceID": service_id,
        "Slot": slot,
        "NodeID": node,
        "Status": status,
        "DesiredState": desired,
        "NetworksAttachments": [{"Network": attached_network(n), "Addresses": [addresses[n]]} for n in addresses],
    }
    return obj


MESSAGES = {"running": "started", "starting": "starting", "shutdown": "shutdown", "preparing": "preparing",
            "assigned": "assigned", "pending": "pending", "complete": "finished"}

WEB_LABELS = {"com.docker.lb.hosts": "web.local", "com.docker.lb.port": "8080", "com.docker.stack.namespace": "demo"}
API_LABELS = {"com.docker.lb.hosts": "api.local", "com.docker.lb.port": "8080", "com.docker.lb.backend_mode": "vip",
              "com.docker.stack.namespace": "demo"}
WEB_IMAGE_1 = "example/web:1.0@sha256:a2b7b0e2c3b1c1d4c0a4b2f8e6e0c5d9b4a1c0f6e2d3c4b5a6978812345abcde"
WEB_IMAGE_2 = "example/web:1.1@sha256:b3c8c1f3d4c2d2e5d1b5c3f9f7f1d6eac5b2d1f7f3e4d5c6b7a8992345bcdef0"
API_IMAGE = "example/api:2.4@sha256:c4d9d2f4e5d3e3f6e2c6d4fafbf2e7fbd6c3e2f8f4f5e6d7c8b9aa3456cdef01"
ENV = ["APP_ENV=production"]
API_PORTS = [{"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": 30001, "PublishMode": "ingress"}]


def networks(with_backend):
    nets = [
        swarm_network(INGRESS, "ingress", "10.255.0.0/16", "10.255.0.1", "2026-11-27T09:31:11.912919752Z", ingress=True),
        local_network(BRIDGE, "bridge", "bridge", "2026-11-27T09:30:58.209436612Z",
                      [{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}]),
        local_network(HOST, "host", "host", "2026-11-27T09:30:58.174051930Z", []),
        swarm_network(DEMO, "demo", "10.0.2.0/24", "10.0.2.1", "2026-11-27T09:40:02.104402211Z"),
    ]
    if with_backend:
        nets.append(swarm_network(BACKEND, "backend", "10.0.3.0/24", "10.0.3.1", t(241, 500000000)))
    return nets


def web_service(version, updated, image, replicas=2, networks=(DEMO,), previous_image=None, update_state=None, labels=None):
    vips = [(DEMO, "10.0.2.2/24")] + ([(BACKEND, "10.0.3.2/24")] if BACKEND in networks else [])
    previous = None
    if previous_image is not None:
        previous = {"Name": "web", "Labels": WEB_LABELS, "TaskTemplate": task_template(previous_image, ENV, [DEMO]),
                    "Mode": {"Replicated": {"Replicas": replicas}}, "EndpointSpec": {"Mode": "vip"}}
    status = None
    if update_state is not None:
        status = {"State": update_state, "StartedAt": t(120, 31000000),
                  "Message": "update in progress" if update_state == "updating" else "update completed"}
        if update_state == "completed":
            status["CompletedAt"] = t(200, 77000000)
    return service(WEB, version, "2026-11-27T09:41:15.880065305Z", updated, "web", labels or WEB_LABELS, image, ENV,
                   replicas, list(networks), vips, previous=previous, update_status=status)


def api_service(version, updated, replicas):
    return service(API, version, "2026-11-27T09:42:51.880065305Z", updated, "api", API_LABELS, API_IMAGE, ENV, replicas,
                   [DEMO], [(INGRESS, "10.255.0.5/16"), (DEMO, "10.0.2.9/24")], ports=API_PORTS)


def web_task(task_id, version, slot, node, state, desired, status_time, image, ip, created, container):
    return task(task_id, version, created, status_time if desired == "running" else t(150), WEB, slot, node, state,
                status_time, desired, image, ENV, [DEMO], {DEMO: ip}, container=container)


def api_task(task_id, version, slot, node, state, status_time, ip, ingress_ip, container):
    return task(task_id, version, "2026-11-27T09:42:52.171892745Z" if slot == 1 else t(60, 171892745), status_time, API,
                slot, node, state, status_time, "running", API_IMAGE, ENV, [DEMO],
                {INGRESS: ingress_ip, DEMO: ip}, container=container)


C = lambda n: ("%064x" % (0xe5d62702a1b48d01c3e02ca1e0212a250801fa8d67caca0b6f35919ebc12f035 + n))[-64:]

WEB1_OLD = lambda version, state, desired, when: web_task("0kzzo1i0y4jz6027t0k7aezc7", version, 1, NODES[0], state, desired,
                                                           when, WEB_IMAGE_1, "10.0.2.3/24", "2026-11-27T09:41:16.171892745Z", C(1))
WEB2_OLD = lambda version, state, desired, when: web_task("1yljwbmlr8er2waf8orvqpwms", version, 2, NODES[1], state, desired,
                                                           when, WEB_IMAGE_1, "10.0.2.4/24", "2026-11-27T09:41:16.181892745Z", C(2))
WEB1_NEW = lambda version, state, when: web_task("4f0vxn2q5oh6ldvmcc8hz3u7r", version, 1, NODES[2], state, "running", when,
                                                  WEB_IMAGE_2, "10.0.2.5/24", t(125, 5000000), C(3))
WEB2_NEW = lambda version, state, when: web_task("7t1x9ms2cxxbgl0r5yq1ko4wd", version, 2, NODES[0], state, "running", when,
                                                  WEB_IMAGE_2, "10.0.2.6/24", t(180, 5000000), C(4))
WEB3 = lambda version, state, when: web_task("p2k8vz3n4s1ggh7w0y5xq6mtr", version, 3, NODES[1], state, "running", when,
                                              WEB_IMAGE_2, "10.0.2.7/24", t(300, 5000000), C(5))
API1 = lambda: api_task("268d7h2x3ojbdq6gbfyhb6j1e", 33, 1, NODES[1], "running", "2026-11-27T09:42:53.290032978Z",
                        "10.0.2.10/24", "10.255.0.6/16", C(6))
API2 = lambda: api_task("3b5c0r1tlqz8n2pw4k6h9y7ue", 52, 2, NODES[2], "running", t(63, 290032978), "10.0.2.11/24",
                        "10.255.0.7/16", C(7))
API3 = lambda: api_task("5v7e2g9m0c3xwd1hq8jr4nk6s", 53, 3, NODES[0], "starting", t(64, 120000000), "10.0.2.12/24",
                        "10.255.0.8/16", C(8))

STATES = [
    ("01-create", "web (task mode, 2 replicas) and api (vip mode, 1 replica, port 30001 on the routing mesh) on demo",
     networks(False),
     [web_service(12, "2026-11-27T09:41:15.962229872Z", WEB_IMAGE_1), api_service(15, "2026-11-27T09:42:51.962229872Z", 1)],
     [WEB1_OLD(30, "running", "running", "2026-11-27T09:41:18.290032978Z"),
      WEB2_OLD(31, "running", "running", "2026-11-27T09:41:18.390032978Z"), API1()]),
    ("02-scale-up", "api scaled 1 -> 3: in vip mode the proxy sees nothing change",
     networks(False),
     [web_service(12, "2026-11-27T09:41:15.962229872Z", WEB_IMAGE_1), api_service(18, t(60, 13000000), 3)],
     [WEB1_OLD(30, "running", "running", "2026-11-27T09:41:18.290032978Z"),
      WEB2_OLD(31, "running", "running", "2026-11-27T09:41:18.390032978Z"), API1(), API2(), API3()]),
    ("03-rolling-update", "web image 1.0 -> 1.1, stop-first: web.1 replaced, web.2 not yet",
     networks(False),
     [web_service(21, t(120, 31000000), WEB_IMAGE_2, previous_image=WEB_IMAGE_1, update_state="updating"),
      api_service(18, t(60, 13000000), 3)],
     [WEB1_OLD(61, "shutdown", "shutdown", t(122, 400000000)), WEB2_OLD(31, "running", "running", "2026-11-27T09:41:18.390032978Z"),
      WEB1_NEW(66, "running", t(127, 800000000)), API1(), API2(), api_task("5v7e2g9m0c3xwd1hq8jr4nk6s", 55, 3, NODES[0], "running",
                                                                           t(65, 9000000), "10.0.2.12/24", "10.255.0.8/16", C(8))]),
    ("04-drain", "web.2's desired state turns to shutdown while it still runs: drained at once; its replacement starts",
     networks(False),
     [web_service(21, t(120, 31000000), WEB_IMAGE_2, previous_image=WEB_IMAGE_1, update_state="updating"),
      api_service(18, t(60, 13000000), 3)],
     [WEB1_OLD(61, "shutdown", "shutdown", t(122, 400000000)), WEB2_OLD(70, "running", "shutdown", "2026-11-27T09:41:18.390032978Z"),
      WEB1_NEW(66, "running", t(127, 800000000)), WEB2_NEW(72, "assigned", t(180, 9000000)),
      API1(), API2(), api_task("5v7e2g9m0c3xwd1hq8jr4nk6s", 55, 3, NODES[0], "running", t(65, 9000000), "10.0.2.12/24",
                               "10.255.0.8/16", C(8))]),
    ("05-network-attach", "network backend created and attached to web (VIP 10.0.3.2, routing pinned to demo); "
     "web.2 replaced; web.1's old task pruned from the task history",
     networks(True),
     [web_service(25, t(242, 10000000), WEB_IMAGE_2, networks=(DEMO, BACKEND), previous_image=WEB_IMAGE_1,
                  update_state="completed", labels=dict(WEB_LABELS, **{"com.docker.lb.network": "demo"})),
      api_service(18, t(60, 13000000), 3)],
     [WEB2_OLD(75, "shutdown", "shutdown", t(181, 500000000)), WEB1_NEW(66, "running", t(127, 800000000)),
      WEB2_NEW(77, "running", t(184, 700000000)),
      API1(), API2(), api_task("5v7e2g9m0c3xwd1hq8jr4nk6s", 55, 3, NODES[0], "running", t(65, 9000000), "10.0.2.12/24",
                               "10.255.0.8/16", C(8))]),
    ("06-service-removal", "api removed: the service and its tasks are gone from the listing",
     networks(True),
     [web_service(25, t(242, 10000000), WEB_IMAGE_2, networks=(DEMO, BACKEND), previous_image=WEB_IMAGE_1,
                  update_state="completed", labels=dict(WEB_LABELS, **{"com.docker.lb.network": "demo"}))],
     [WEB2_OLD(75, "shutdown", "shutdown", t(181, 500000000)), WEB1_NEW(66, "running", t(127, 800000000)),
      WEB2_NEW(77, "running", t(184, 700000000))]),
    ("07-scale-web", "web scaled 2 -> 3 while no event stream is connected: only a list round can see it",
     networks(True),
     [web_service(29, t(300, 1000000), WEB_IMAGE_2, replicas=3, networks=(DEMO, BACKEND), previous_image=WEB_IMAGE_1,
                  update_state="completed", labels=dict(WEB_LABELS, **{"com.docker.lb.network": "demo"}))],
     [WEB2_OLD(75, "shutdown", "shutdown", t(181, 500000000)), WEB1_NEW(66, "running", t(127, 800000000)),
      WEB2_NEW(77, "running", t(184, 700000000)), WEB3(81, "running", t(303, 250000000))]),
]

VERSION = {
    "Platform": {"Name": "Docker Engine - Community"},
    "Components": [{"Name": "Engine", "Version": "27.0.1",
                    "Details": {"ApiVersion": "1.47", "Arch": "amd64", "BuildTime": "2024-06-28T15:36:32.000000000+00:00",
                                "Experimental": "false", "GitCommit": "ff1e2c0", "GoVersion": "go1.21.13",
                                "KernelVersion": "6.8.0-31-generic", "MinAPIVersion": "1.24", "Os": "linux"}}],
    "Version": "27.0.1",
    "ApiVersion": "1.47",
    "MinAPIVersion": "1.24",
    "GitCommit": "ff1e2c0",
    "GoVersion": "go1.21.13",
    "Os": "linux",
    "Arch": "amd64",
    "KernelVersion": "6.8.0-31-generic",
    "BuildTime": "2024-06-28T15:36:32.000000000+00:00",
}

EVENTS = [
    {"Type": "service", "Action": "update", "Actor": {"ID": API, "Attributes": {"name": "api", "replicas.new": "3",
                                                                                "replicas.old": "1"}},
     "scope": "swarm", "time": 1795774860, "timeNano": 1795774860013000000},
    {"Type": "container", "Action": "start", "Actor": {"ID": C(7), "Attributes": {
        "com.docker.swarm.service.id": API, "com.docker.swarm.service.name": "api",
        "com.docker.swarm.task.id": "3b5c0r1tlqz8n2pw4k6h9y7ue", "com.docker.swarm.task.name": "api.2.3b5c0r1tlqz8n2pw4k6h9y7ue",
        "image": API_IMAGE, "name": "api.2.3b5c0r1tlqz8n2pw4k6h9y7ue"}},
     "scope": "local", "time": 1795774863, "timeNano": 1795774863290032978},
    {"Type": "network", "Action": "create", "Actor": {"ID": BACKEND, "Attributes": {"name": "backend", "type": "overlay"}},
     "scope": "swarm", "time": 1795775041, "timeNano": 1795775041500000000},
    {"Type": "service", "Action": "remove", "Actor": {"ID": API, "Attributes": {"name": "api"}},
     "scope": "swarm", "time": 1795775100, "timeNano": 1795775100000000000},
]


def write(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    write(os.path.join(OUT, "version.json"), VERSION)
    with open(os.path.join(OUT, "events.jsonl"), "w") as f:
        for event in EVENTS:
            f.write(json.dumps(event, separators=(",", ":")) + "\n")
    for name, story, nets, services, tasks in STATES:
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        write(os.path.join(folder, "networks.json"), nets)
        write(os.path.join(folder, "services.json"), services)
        write(os.path.join(folder, "tasks.json"), tasks)
        with open(os.path.join(folder, "STORY"), "w") as f:
            f.write(story + "\n")


if __name__ == "__main__":
    main()
