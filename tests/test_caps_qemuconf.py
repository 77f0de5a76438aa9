"""libvirt qemu.conf reader."""
from __future__ import annotations

from pathlib import Path

import pytest

from virtconform.engine.caps.qemuconf import LIBVIRTD_DEFAULTS, QemuConf, parse_qemu_conf, read_qemu_conf
from virtconform.engine.errors import ConfigError, DocumentError, InputError


def test_a_driver_that_read_nothing_has_nothing_set() -> None:
    c = QemuConf()
    assert c.vnc_listen is None and c.vnc_tls_x509_cert_dir is None and c.vnc_sasl_dir is None
    assert c.vnc_tls is False and c.vnc_sasl is False and c.vnc_tls_x509_verify is False
    assert c.vnc_password is None
    assert c.hugetlbfs_mount is None and c.hugepage_path is None
    assert parse_qemu_conf("") == c
    assert parse_qemu_conf("# only a comment\n\n") == c


def test_libvirtd_defaults_apply_under_a_file() -> None:
    c = parse_qemu_conf('vnc_tls = 1\n', base=LIBVIRTD_DEFAULTS)
    assert c.vnc_listen == "127.0.0.1" and c.vnc_tls_x509_cert_dir == "/etc/pki/libvirt-vnc"
    assert c.vnc_sasl_dir == "/etc/sasl2" and c.vnc_tls
    assert parse_qemu_conf('vnc_listen = "0.0.0.0"\n', base=LIBVIRTD_DEFAULTS).vnc_listen == "0.0.0.0"


def test_a_host_profile_carries_its_driver_settings(tmp_path: Path) -> None:
    from virtconform.engine.caps.profiles import get_profile
    p = get_profile("libvirt-test")
    assert p.qemu_conf().hugepage_path == "/dev/hugepages/libvirt/qemu"
    f = tmp_path / "qemu.conf"
    f.write_text('vnc_listen = "0.0.0.0"\n')
    c = p.qemu_conf(str(f))
    assert c.vnc_listen == "0.0.0.0" and c.hugetlbfs_mount == "/dev/hugepages"


def test_full_file(tmp_path: Path) -> None:
    p = tmp_path / "qemu.conf"
    p.write_text(
        "# Master configuration file for the QEMU driver.\n"
        'vnc_listen = "0.0.0.0"\n'
        "vnc_tls = 1   # on\n"
        "vnc_tls_x509_cert_dir = '/etc/pki/tls/qemu'\n"
        "vnc_tls_x509_verify = 1\n"
        'vnc_password = "XYZ12345"\n'
        "vnc_sasl = 1; vnc_sasl_dir = \"/root/.sasl2\"\n"
        'hugetlbfs_mount = "/dev/hugepages"\n'
        'cgroup_device_acl = [\n    "/dev/null", "/dev/full",\n    "/dev/zero",\n]\n'
        "some_future_key = -5\n")
    c = read_qemu_conf(str(p))
    assert c.vnc_listen == "0.0.0.0"
    assert c.vnc_tls and c.vnc_tls_x509_verify and c.vnc_sasl
    assert c.vnc_tls_x509_cert_dir == "/etc/pki/tls/qemu"
    assert c.vnc_password == "XYZ12345"
    assert c.vnc_sasl_dir == "/root/.sasl2"
    assert c.hugepage_path == "/dev/hugepages/libvirt/qemu"
    assert c.raw["cgroup_device_acl"] == ["/dev/null", "/dev/full", "/dev/zero"]
    assert c.raw["some_future_key"] == -5   # kept, otherwise ignored


def test_from_mapping_like_a_manifest_case() -> None:
    c = QemuConf.from_mapping({"hugetlbfs_mount": "/dev/hugepages", "vnc_sasl": 1,
                               "vnc_sasl_dir": "/root/.sasl2"})
    assert c.vnc_sasl is True and c.vnc_sasl_dir == "/root/.sasl2"
    assert c.hugepage_path == "/dev/hugepages/libvirt/qemu"
    assert c.vnc_listen is None


@pytest.mark.parametrize("text,line,col,msg", [
    ('vnc_listen "x"\n', 1, 12, "assignment"),
    ("\n\nvnc_tls = \n", 3, 11, "value"),
    ('vnc_listen = "abc\n', 1, 14, "unterminated"),
    ('a = [ "x" "y" ]\n', 1, 11, "separator in list"),
    ('a = [ "x"\n', 2, 1, "not closed"),
    ('a = [ "x",\n', 2, 1, "expecting a value"),
    ("1abc = 1\n", 1, 1, "name"),
    ("a = 1 b\n", 1, 7, "separator"),
    ("a = -\n", 1, 5, "number"),
])
def test_syntax_errors_are_located(text: str, line: int, col: int, msg: str) -> None:
    with pytest.raises(DocumentError) as e:
        parse_qemu_conf(text, "qemu.conf")
    assert (e.value.line, e.value.column) == (line, col)
    assert msg in e.value.message
    assert e.value.format().startswith(f"qemu.conf:{line}:{col}: ")


def test_wrong_type_of_known_key() -> None:
    with pytest.raises(ConfigError) as e:
        parse_qemu_conf('\nvnc_tls = "yes"\n', "qemu.conf")
    assert "vnc_tls" in e.value.message and e.value.line == 2
    with pytest.raises(ConfigError):
        parse_qemu_conf("vnc_listen = 1\n")


def test_unreadable(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_qemu_conf(str(tmp_path / "nope.conf"))
    (tmp_path / "bin.conf").write_bytes(b"a = 1\n\0\0")
    with pytest.raises(DocumentError):
        read_qemu_conf(str(tmp_path / "bin.conf"))
