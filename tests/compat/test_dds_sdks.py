"""The official Alibaba Cloud Python SDKs against `mongocloud-operator emulator`.

aliyun-python-sdk-core + aliyun-python-sdk-dds sign with v1 (everything in the query of a POST);
alibabacloud-dds20151201 signs with ACS3-HMAC-SHA256. Each drives a full life cycle: create ->
Running -> modify spec -> security IPs -> audit filter -> backup -> restart -> delete, and a
wrong secret is refused with the cloud's code.

    python test_dds_sdks.py PATH_TO_mongocloud-operator
Prints one line per step and `N passed, N failed`; exits non-zero on any failure.
"""

import json
import subprocess
import sys
import time

KEY, SECRET = "LTAIemulator", "emulator-secret"
results = {"passed": 0, "failed": 0}


def step(name, fn):
    try:
        fn()
        results["passed"] += 1
        print(f"ok   {name}")
    except Exception as e:  # every failure is reported, then the next step runs
        results["failed"] += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}")


def wait_until(probe, what, limit=20.0):
    deadline = time.time() + limit
    while time.time() < deadline:
        if probe():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class V1:
    """aliyun-python-sdk-core + aliyun-python-sdk-dds (signature v1)."""

    name = "aliyun-python-sdk-dds (v1)"

    def __init__(self, host, secret=SECRET):
        from aliyunsdkcore.client import AcsClient

        self.host = host
        self.client = AcsClient(KEY, secret, "cn-hangzhou")

    def call(self, request_cls, **params):
        req = request_cls()
        req.set_endpoint(self.host)
        req.set_protocol_type("http")
        for key, value in params.items():
            getattr(req, f"set_{key}")(value)
        return json.loads(self.client.do_action_with_exception(req))

    def requests(self):
        from aliyunsdkdds.request.v20151201 import (
            CreateBackupRequest, CreateDBInstanceRequest, DeleteDBInstanceRequest, DescribeAuditLogFilterRequest,
            DescribeBackupsRequest, DescribeDBInstanceAttributeRequest, DescribeSecurityIpsRequest,
            ModifyAuditLogFilterRequest, ModifyDBInstanceSpecRequest, ModifySecurityIpsRequest, RestartDBInstanceRequest)
        return locals()

    def create(self):
        r = self.requests()
        return self.call(r["CreateDBInstanceRequest"].CreateDBInstanceRequest, DBInstanceClass="dds.mongo.mid",
                         DBInstanceStorage=20, EngineVersion="6.0", ClientToken="compat-v1",
                         DBInstanceDescription="made by the v1 SDK")["DBInstanceId"]

    def status(self, id):
        r = self.requests()
        a = self.call(r["DescribeDBInstanceAttributeRequest"].DescribeDBInstanceAttributeRequest, DBInstanceId=id)
        return a["DBInstances"]["DBInstance"][0]

    def modify_spec(self, id):
        r = self.requests()
        self.call(r["ModifyDBInstanceSpecRequest"].ModifyDBInstanceSpecRequest, DBInstanceId=id, DBInstanceClass="dds.mongo.large")

    def security_ips(self, id):
        r = self.requests()
        self.call(r["ModifySecurityIpsRequest"].ModifySecurityIpsRequest, DBInstanceId=id, SecurityIps="10.0.0.1,10.0.1.0/24",
                  SecurityIpGroupName="app", ModifyMode="Cover")
        groups = self.call(r["DescribeSecurityIpsRequest"].DescribeSecurityIpsRequest, DBInstanceId=id)["SecurityIpGroups"]["SecurityIpGroup"]
        return {g["SecurityIpGroupName"]: g["SecurityIpList"] for g in groups}

    def audit(self, id):
        r = self.requests()
        self.call(r["ModifyAuditLogFilterRequest"].ModifyAuditLogFilterRequest, DBInstanceId=id, Filter="admin,delete")
        return self.call(r["DescribeAuditLogFilterRequest"].DescribeAuditLogFilterRequest, DBInstanceId=id)["Filter"]

    def backup(self, id):
        r = self.requests()
        backup = self.call(r["CreateBackupRequest"].CreateBackupRequest, DBInstanceId=id, BackupMethod="Logical")["BackupId"]
        listed = lambda: self.call(r["DescribeBackupsRequest"].DescribeBackupsRequest, DBInstanceId=id, BackupId=backup)["Backups"]["Backup"]
        wait_until(lambda: listed()[0]["BackupStatus"] == "Success", "backup Success")

    def restart(self, id):
        r = self.requests()
        self.call(r["RestartDBInstanceRequest"].RestartDBInstanceRequest, DBInstanceId=id)

    def delete(self, id):
        r = self.requests()
        self.call(r["DeleteDBInstanceRequest"].DeleteDBInstanceRequest, DBInstanceId=id)

    def error_code(self, fn):
        from aliyunsdkcore.acs_exception.exceptions import ServerException
        try:
            fn()
        except ServerException as e:
            return e.get_error_code()
        raise AssertionError("the call was accepted")


class Tea:
    """alibabacloud-dds20151201 (ACS3-HMAC-SHA256)."""

    name = "alibabacloud-dds20151201 (ACS3)"

    def __init__(self, host, secret=SECRET):
        from alibabacloud_dds20151201.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        self.client = Client(Config(access_key_id=KEY, access_key_secret=secret, endpoint=host, protocol="http",
                                    region_id="cn-hangzhou"))

    @staticmethod
    def m():
        from alibabacloud_dds20151201 import models
        return models

    def create(self):
        body = self.client.create_dbinstance(self.m().CreateDBInstanceRequest(
            region_id="cn-hangzhou", dbinstance_class="dds.mongo.mid", dbinstance_storage=20, engine_version="6.0",
            client_token="compat-tea", dbinstance_description="made by the Tea SDK")).body
        return body.dbinstance_id

    def status(self, id):
        body = self.client.describe_dbinstance_attribute(self.m().DescribeDBInstanceAttributeRequest(dbinstance_id=id)).body
        i = body.dbinstances.dbinstance[0]
        return {"DBInstanceStatus": i.dbinstance_status, "DBInstanceClass": i.dbinstance_class}

    def modify_spec(self, id):
        self.client.modify_dbinstance_spec(self.m().ModifyDBInstanceSpecRequest(dbinstance_id=id, dbinstance_class="dds.mongo.large"))

    def security_ips(self, id):
        self.client.modify_security_ips(self.m().ModifySecurityIpsRequest(
            dbinstance_id=id, security_ips="10.0.0.1,10.0.1.0/24", security_ip_group_name="app", modify_mode="Cover"))
        body = self.client.describe_security_ips(self.m().DescribeSecurityIpsRequest(dbinstance_id=id)).body
        return {g.security_ip_group_name: g.security_ip_list for g in body.security_ip_groups.security_ip_group}

    def audit(self, id):
        self.client.modify_audit_log_filter(self.m().ModifyAuditLogFilterRequest(dbinstance_id=id, filter="admin,delete"))
        return self.client.describe_audit_log_filter(self.m().DescribeAuditLogFilterRequest(dbinstance_id=id)).body.filter

    def backup(self, id):
        backup = self.client.create_backup(self.m().CreateBackupRequest(dbinstance_id=id, backup_method="Logical")).body.backup_id
        listed = lambda: self.client.describe_backups(self.m().DescribeBackupsRequest(dbinstance_id=id, backup_id=backup)).body.backups.backup
        wait_until(lambda: listed()[0].backup_status == "Success", "backup Success")

    def restart(self, id):
        self.client.restart_dbinstance(self.m().RestartDBInstanceRequest(dbinstance_id=id))

    def delete(self, id):
        self.client.delete_dbinstance(self.m().DeleteDBInstanceRequest(dbinstance_id=id))

    def error_code(self, fn):
        try:
            fn()
        except Exception as e:
            code = getattr(e, "code", None)
            if code:
                return code
            raise
        raise AssertionError("the call was accepted")


def life_cycle(sdk):
    state = {}

    def running():
        return sdk.status(state["id"])["DBInstanceStatus"] == "Running"

    def create():
        state["id"] = sdk.create()
        assert state["id"].startswith("dds-"), state["id"]
        assert sdk.create() == state["id"], "ClientToken makes the create idempotent"

    def poll():
        wait_until(running, "Running")

    def modify():
        sdk.modify_spec(state["id"])
        assert sdk.status(state["id"])["DBInstanceStatus"] == "DBInstanceClassChanging"
        wait_until(running, "Running after the spec change")
        assert sdk.status(state["id"])["DBInstanceClass"] == "dds.mongo.large"

    def ips():
        groups = sdk.security_ips(state["id"])
        assert groups["app"] == "10.0.0.1,10.0.1.0/24", groups
        assert "default" in groups, groups

    def audit():
        assert sdk.audit(state["id"]) == "admin,delete"

    def restart():
        sdk.restart(state["id"])
        assert sdk.status(state["id"])["DBInstanceStatus"] == "Rebooting"
        wait_until(running, "Running after the restart")

    def delete():
        sdk.delete(state["id"])
        assert sdk.status(state["id"])["DBInstanceStatus"] == "Deleting"
        time.sleep(0.6)  # one transition: the instance is released
        code = sdk.error_code(lambda: sdk.status(state["id"]))
        assert code == "InvalidDBInstanceId.NotFound", code

    for name, fn in [("create", create), ("poll to Running", poll), ("modify spec", modify), ("security IPs", ips),
                     ("audit filter", audit), ("backup", lambda: sdk.backup(state["id"])), ("restart", restart),
                     ("delete", delete)]:
        step(f"{sdk.name}: {name}", fn)


def wrong_secret(sdk):
    code = sdk.error_code(lambda: sdk.status("dds-anything00000000"))
    # The v1 SDK rewrites SignatureDoesNotMatch to InvalidAccessKeySecret when the echoed
    # string to sign equals its own, i.e. when only the secret is wrong.
    assert code in ("SignatureDoesNotMatch", "InvalidAccessKeySecret"), code


def main():
    binary = sys.argv[1]
    emulator = subprocess.Popen([binary, "emulator", "--listen", "127.0.0.1:0", "--transition-ms", "300"],
                                stdout=subprocess.PIPE, text=True)
    try:
        first = emulator.stdout.readline().strip()
        assert first.startswith("listening on http://"), first
        host = first.removeprefix("listening on http://")
        for sdk_class in (V1, Tea):
            life_cycle(sdk_class(host))
            step(f"{sdk_class.name}: wrong secret refused", lambda: wrong_secret(sdk_class(host, secret="wrong-secret")))
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
