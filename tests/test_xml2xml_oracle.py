"""xml2xml against libvirt's own code: small documents that each pin one rule of
virDomainDefParseXML / virDomainDefFormat (as read, defaulted, printed or refused).

Each probe goes through ../shared/oracle (libvirt 0.8.3's parser and formatter,
with the real driver's emulator rule) and through ours: the same bytes, or both
refuse. Skipped without the oracle; the probes still have to load or be refused
with a located error.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from virtconform.conformance.suites.shared import oracle_command
from virtconform.engine.caps.profiles import get_profile
from virtconform.engine.errors import VirtconformError
from virtconform.engine.loader import domain_from_string

UUID = "c7a5fdbd-edaf-9455-926a-d65c16db1809"
HVM = "<os><type arch='i686'>hvm</type><boot dev='hd'/></os>"
M = "<mac address='52:54:00:00:00:01'/>"


def dom(head: str = "<domain type='qemu'>", body: str = "") -> str:
    return f"{head}<name>p</name><uuid>{UUID}</uuid><memory>219200</memory>{body}</domain>"


def devices(*items: str) -> list[str]:
    return [dom(body=HVM + f"<devices>{d}</devices>") for d in items]


DOMAIN_PROBES: list[str] = []
P = DOMAIN_PROBES
# identity
P += [dom("<domain type='qemu'>", HVM).replace("<name>p</name>", "<name>a&amp;b&lt;'\"&gt;</name>")]
P += [dom(body=HVM).replace("<name>p</name>", "<name> spaced \n name </name>")]
P += [dom(body=HVM).replace("<name>p</name>", "<name></name>")]
P += [dom(body=HVM).replace("<name>p</name>", "<name>a<b>c</b>d</name>")]
P += [dom(body=HVM).replace("c7a5fdbd-edaf-9455-926a-d65c16db1809", u) for u in
      ["  C7A5FDBDEDAF9455926AD65C16DB1809  ", "-c7a5fdbd-edaf-9455-926a-d65c16db1809", "c7 a5 fd bd ed af 94 55 92 6a d6 5c 16 db 18 09",
       "c7a5fdbd-edaf-9455-926a-d65c16db180", "c7a5fdbd-edaf-9455-926a-d65c16db18099", "c-7a5fdbd-edaf-9455-926a-d65c16db1809", ""]]
P += [dom(body=HVM + "<description>a &amp; b &lt;c&gt; 'q' \"d\"</description>")]
P += [dom(body=HVM + "<description></description>")]
P += [dom("<domain type='qemu' id='5'>", HVM), dom("<domain type=''>", HVM), dom("<domain type='uml'>", HVM), dom("<domain>", HVM)]
# memory / vcpu
P += [dom(body=HVM).replace("<memory>219200</memory>", m) for m in
      ["<memory> 12 </memory>", "<memory>0x10</memory>", "<memory>abc</memory>", "<memory></memory>", "",
       "<memory>219200</memory><memory>1</memory>", "<memory>219200</memory><currentMemory>abc</currentMemory>",
       "<memory>219200</memory><currentMemory>999999</currentMemory>", "<memory>-1</memory>"]]
P += [dom(body=HVM + v) for v in ["<vcpu>  </vcpu>", "<vcpu>abc</vcpu>", "<vcpu>3x</vcpu>", "<vcpu cpuset=''>2</vcpu>",
      "<vcpu cpuset='0'>2</vcpu>", "<vcpu cpuset='3,1,2'>2</vcpu>", "<vcpu cpuset='1-3,^2,^3'>2</vcpu>",
      "<vcpu cpuset='^1'>2</vcpu>", "<vcpu cpuset='1,'>2</vcpu>", "<vcpu cpuset='1-'>2</vcpu>", "<vcpu cpuset='1023'>2</vcpu>",
      "<vcpu cpuset='1024'>2</vcpu>", "<vcpu cpuset='0-1022'>2</vcpu>", "<vcpu cpuset='1 2'>2</vcpu>", "<vcpu cpuset='^1-3'>2</vcpu>",
      "<vcpu>2</vcpu><vcpu cpuset='1'>3</vcpu>"]]
P += [dom(body=HVM + "<memoryBacking/>"), dom(body=HVM + "<memoryBacking><hugepages/></memoryBacking><memoryBacking/>")]
# features / lifecycle
P += [dom(body=HVM + f) for f in ["<features/>", "<features><apic/><pae/><acpi/></features>", "<features><acpi/></features><features><pae/></features>",
      "<features><acpi>x</acpi></features>", "<on_reboot>preserve</on_reboot><on_crash>rename-restart</on_crash><on_poweroff>restart</on_poweroff>",
      "<on_reboot></on_reboot>", "<on_reboot>bogus</on_reboot>", "<on_crash> destroy</on_crash>"]]
# os
P += [dom(body=o) for o in ["<os><type>hvm</type></os>", "<os><type>hvm</type><kernel>/k</kernel><initrd>/i</initrd><cmdline>a &amp; b</cmdline><root>/dev/sda</root><loader>/l</loader><init>/sbin/init</init></os>",
      "<os><type>hvm</type><boot dev='cdrom'/><boot dev='fd'/><boot dev='network'/><boot dev='hd'/><boot dev='bogus'/></os>",
      "<os><type>hvm</type><boot dev='bogus'/></os>", "<os><type>hvm</type><boot/></os>",
      "<os><type>hvm</type><boot dev='hd'/></os><os><type>xen</type><boot dev='cdrom'/></os>",
      "<os><boot dev='hd'/></os><os><type>hvm</type><boot dev='cdrom'/></os>",
      "<os><type arch='' machine=''>hvm</type></os>", "<os><type arch='x86_64' machine='pc'>hvm</type></os>",
      "<os><type arch='x86_64'>hvm</type></os>", "<os><type arch='ppc'>hvm</type></os>", "<os><type> hvm</type></os>",
      "<os><type>exe</type><init>/init</init></os>", "<os><type>xen</type></os>", "<os><type>linux</type></os>",
      "<bootloader>/b</bootloader>", "<bootloader/>", "<bootloader>/b</bootloader><bootloader_args>-x &amp;</bootloader_args><os><type>hvm</type><boot dev='cdrom'/></os>",
      "<bootloader_args>-x</bootloader_args><os><type>hvm</type></os>"]]
# a bootloader's guest whose <type> names no OS: its arch and machine still count
P += [dom("<domain type='kvm'>", "<bootloader>/b</bootloader><os>" + t + "</os>") for t in [
      "<type arch=' '></type>", "<type arch='x86_64' machine='xenner'/>", "<type arch='i686'/>",
      "<type machine='pc'></type>"]]
P += [dom("<domain type='kvm'>", o) for o in ["<os><type>hvm</type></os>", "<os><type arch='i686'>hvm</type></os>", "<os><type>xen</type></os>", "<os><type>linux</type></os>", "<os><type machine='pc-0.10'>hvm</type></os>"]]
P += [dom("<domain type='xen'>", o) for o in ["<os><type arch='x86_64'>xen</type></os>", "<os><type arch='x86_64'>linux</type></os>", "<os><type>xen</type></os>"]]
P += [dom("<domain type='kqemu'>", "<os><type>hvm</type></os>")]
# a paravirtualized guest keeps a tablet on the xen bus and its console, neither printed as given
P += [dom("<domain type='kvm'>", "<os><type arch='x86_64' machine='xenner'>xen</type></os><devices>"
          "<emulator>/usr/bin/xenner</emulator><input type='tablet'><address type='pci' slot='4'/></input>"
          "<input type='mouse' bus='usb'/><input type='mouse' bus='ps2'/><graphics type='vnc'/>"
          "<console type='pty'><address type='pci' slot='5'/></console></devices>")]
# clock
P += [dom(body=HVM + c) for c in ["<clock/>", "<clock offset=''/>", "<clock offset='localtime'/>", "<clock offset='timezone'/>",
      "<clock offset='timezone' timezone='Europe/Paris &amp; x'/>", "<clock offset='variable'/>", "<clock offset='variable' adjustment='1e3'/>",
      "<clock offset='variable' adjustment='-.5'/>", "<clock offset='variable' adjustment='12.0'/>", "<clock offset='variable' adjustment='9007199254740993'/>",
      "<clock offset='variable' adjustment='99999999999999999999'/>", "<clock offset='variable' adjustment='-9223372036854775808'/>",
      "<clock offset='utc' adjustment='5'/>", "<clock/><clock offset='localtime'/>", "<clock offset='bogus'/>",
      "<clock><timer name='rtc' track='boot'/><timer name='platform' track='wall'/><timer name='pit' track='guest'/></clock>",
      "<clock><timer name='tsc' frequency='5' mode='native'/><timer name='hpet' mode='auto' present='yes'/></clock>",
      "<clock><timer name='tsc'><frequency>1000</frequency></timer></clock>",
      "<clock><timer name='tsc'><frequency>abc</frequency></timer></clock>",
      "<clock><timer name='tsc'><frequency> 12x</frequency></timer></clock>",
      "<clock><timer/></clock>", "<clock><timer name='kvmclock'/></clock>", "<clock><timer name='rtc' present='maybe'/></clock>",
      "<clock><timer name='rtc' tickpolicy='bogus'/></clock>", "<clock><timer name='rtc' track='bogus'/></clock>",
      "<clock><timer name='tsc' mode='smpsafe'/></clock>", "<clock><timer name='tsc' mode='bogus'/></clock>",
      "<clock><timer name='pit' tickpolicy='catchup'><catchup/></timer></clock>",
      "<clock><timer name='pit'><catchup threshold='1' slew='2' limit='3'/></timer></clock>",
      "<clock><timer name='pit'><catchup threshold='x'/></timer></clock>",
      "<clock><timer name='pit'><catchup threshold='0' limit='7'/><catchup slew='9'/></timer></clock>",
      "<clock offset='utc'><timer name='rtc'/></clock><clock><timer name='pit'/></clock>"]]
# cpu
P += [dom(body=HVM + c) for c in ["<cpu match='exact'/>", "<cpu match='bogus'><model>x</model></cpu>", "<cpu><model>x</model></cpu>",
      "<cpu match='strict'><model>x</model><feature policy='force' name='a'/><feature policy='forbid' name='a'/></cpu>",
      "<cpu match='strict'><model>x</model><feature policy='force'/></cpu>", "<cpu match='strict'><model>x</model><feature policy='force' name=''/></cpu>",
      "<cpu><vendor>Intel</vendor></cpu>", "<cpu match='minimum'><model></model><vendor>AMD</vendor></cpu>",
      "<cpu><topology sockets='0' cores='1' threads='1'/></cpu>", "<cpu><topology sockets='1' cores='1'/></cpu>",
      "<cpu><topology sockets='2x' cores='1' threads='4294967297'/></cpu>", "<cpu><topology sockets='1' cores='1' threads='4294967296'/></cpu>",
      "<cpu match='exact'><model>a</model></cpu><cpu match='minimum'><model>b</model></cpu>", "<cpu><feature policy='force' name='a'/></cpu>"]]
# seclabel
P += [dom(body=HVM + c) for c in ["<seclabel type='dynamic'/>", "<seclabel model='m'/>", "<seclabel type='static' model='a&amp;b'><label>l&lt;</label></seclabel>",
      "<seclabel type='static' model='m'><label></label></seclabel>", "<seclabel type='static'><label>x</label></seclabel>",
      "<seclabel type='static' model='m'><label>a</label><label>b</label></seclabel>", "<seclabel/><seclabel type='static' model='m'><label>x</label></seclabel>"]]
# virXPathStringLimit: a model of 256 bytes or more, a label of 4096 or more, is a missing one
P += [dom(body=HVM + f"<seclabel type='static' model='{m}'><label>{lab}</label></seclabel>")
      for m, lab in [("x" * 255, "l"), ("x" * 256, "l"), ("\u00e9" * 128, "l"), ("m", "l" * 4095), ("m", "l" * 4096)]]

# other hypervisors: defaults of the guest capabilities, default video per hypervisor
for _t in ("lxc", "openvz", "test", "uml", "vbox", "vmware", "one", "phyp", "hyperv", "vserver", "ldom", "xen"):
    P += [dom(f"<domain type='{_t}'>", "<os><type arch='i686'>hvm</type></os><devices><graphics type='vnc'/>"
              "<input type='tablet' bus='usb'/></devices>"),
          dom(f"<domain type='{_t}'>", "<os><type arch='x86_64'>xen</type><kernel>/k</kernel></os>"
              "<devices><graphics type='sdl'/><video/></devices>"),
          dom(f"<domain type='{_t}'>", "<os><type>hvm</type></os>")]
P += [dom("<domain type='xen'>", "<os><type arch='x86_64'>linux</type><kernel>/k</kernel></os>"
          "<devices><input type='mouse'/><graphics type='vnc'/></devices>"),
      dom("<domain type='kvm'>", "<bootloader>/b</bootloader><os><type>hvm</type><boot dev='cdrom'/><kernel>/k</kernel></os>"),
      dom(body="<os><type arch='i686'>hvm</type><loader>/l</loader><boot dev='fd'/><boot dev='fd'/><boot dev='cdrom'/>"
               "<boot dev='hd'/><boot dev='network'/></os>"),
      dom("<domain type='vmware'>", HVM + "<devices><graphics type='vnc'/><video><model type='vga'/></video><video/></devices>")]


DEVICE_PROBES: list[str] = []
P = DEVICE_PROBES
# disks
P += ["<disk type='file'><source file='/a'/><source file='/b'/><target dev='hda'/><target dev='hdb'/></disk>",
      "<disk type='file'><source dev='/x'/><source file='/b'/><target bus='ide'/><target dev='hdb' bus='scsi'/></disk>",
      "<disk type='file'><source file=''/><target dev='hda'/></disk>",
      # the parser knows a sata bus (its 2010 schema does not): no drive address, no controller
      "<disk type='file'><source file='/a'/><target dev='sdb' bus='sata'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='hdq' bus='sata'/></disk>",
      "<disk type='file' device='cdrom'><source file=''/><target dev='hdc'/></disk>",
      "<disk type='block' device='cdrom'><source dev='/dev/sr0'/><target dev='hdc'/><readonly/></disk>",
      "<disk type='file'><driver type='qcow2'/><driver name='qemu' cache='none'/><driver name='x'/><source file='/a'/><target dev='vda'/></disk>",
      "<disk type='file'><driver cache='bogus'/><source file='/a'/><target dev='vda'/></disk>",
      "<disk type='file'><driver error_policy='bogus'/><source file='/a'/><target dev='vda'/></disk>",
      "<disk type='file'><driver name='a&amp;b' type='q&lt;'/><source file='/a&amp;b'/><target dev='vd&amp;a'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='hda'/><serial></serial></disk>",
      "<disk type='file'><source file='/a'/><target dev='hda'/><serial>a&amp;b</serial><serial>x</serial></disk>",
      "<disk type='file'><source file='/a'/><target dev='hda'/><serial><b>x</b>y</serial></disk>",
      "<disk type='file'><source file='/a'/><target dev='hda'/><encryption/></disk>",
      "<disk type='file'><source file='/a'/><target dev='hda'/><encryption format='qcow'><secret type='passphrase'/></encryption></disk>",
      "<disk type='file'><source file='/a'/><target dev='hda'/><encryption format='qcow'><secret uuid='c7a5fdbd-edaf-9455-926a-d65c16db1809'/></encryption></disk>",
      "<disk type='file'><source file='/a'/><target dev='hda'/><encryption format='qcow'><secret type='passphrase' uuid='x'/></encryption></disk>",
      "<disk type='file'><source file='/a'/><target dev='hda'/><encryption format='qcow'/><encryption format='default'/></disk>",
      "<disk type='file' device='floppy'><source file='/a'/><target dev='fdb' bus='ide'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='hda' bus='fdc'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='ioemu:hda'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='ubda'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='xvdz'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='hdaa'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='sdzz' bus='scsi'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='hd'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='vda'/><address type='drive' controller='' unit='1'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='hda'/><address type='drive' controller=' 2' bus='+1' unit='1'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='hda'/><address type='drive' unit='-0'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='vda'/><address type='pci' domain='010' bus='0x' slot='3' function='1'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='vda'/><address type='pci' slot='0x1f'/><address type='drive'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='vda'/><address type='pci' slot='0x1f' function='8'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='vda'/><address type='virtio-serial'/></disk>",
      "<disk type='file'><source file='/a'/><target dev='hda'/></disk><controller type='ide' index='0'/><controller type='ide' index='0'/>",
      "<controller type='scsi' index='1'/><disk type='file'><source file='/a'/><target dev='sdk'/></disk>",
     ]
# controllers
P += ["<controller type='virtio-serial' index='0' ports='-1'/>", "<controller type='virtio-serial' index='0' ports='x'/>",
      "<controller type='virtio-serial' index='0' ports='0' vectors='007'/>", "<controller type='ide' ports='x' vectors='y' index='x'/>",
      "<controller type='ide' index=' 3'/>", "<controller type='scsi' index='0' model='bogus'/>", "<controller type='sata' index='0' model='buslogic'/>",
      "<controller type='ide' index='0'><address type='pci' slot='5'/></controller>"]
# nets
P += [f"<interface type='user'>{M}<mac address='x'/></interface>", "<interface type='user'><mac/></interface>".replace("<mac/>", M + "<mac/>"),
      "<interface type='user'><mac address='52:54:00:00:00'/></interface>", "<interface type='user'><mac address='52:54:00:00:00:001'/></interface>",
      "<interface type='bogus'/>", f"<interface type='network'>{M}</interface>", f"<interface type='network'>{M}<source/><source network='n'/></interface>",
      f"<interface type='bridge'>{M}<source bridge='a'/><source/></interface>", f"<interface type='direct'>{M}<source dev='e' mode='bogus'/></interface>",
      f"<interface type='direct'>{M}<source dev='e'/><virtualport/></interface>", f"<interface type='direct'>{M}<source dev='e'/><virtualport type='802.1Qbg'><parameters managerid='256' typeid='1' typeidversion='1'/></virtualport></interface>",
      f"<interface type='direct'>{M}<source dev='e'/><virtualport type='802.1Qbg'><parameters managerid='1' typeid='1'/></virtualport></interface>",
      f"<interface type='direct'>{M}<source dev='e'/><virtualport type='802.1Qbh'><parameters profileid='{'x'*40}'/></virtualport></interface>",
      f"<interface type='direct'>{M}<source dev='e'/><virtualport type='802.1Qbh'><parameters profileid='{'x'*39}'/></virtualport></interface>",
      f"<interface type='direct'>{M}<source dev='e'/><virtualport type='802.1Qbh'/></interface>",
      f"<interface type='direct'>{M}<source dev='e'/><virtualport type='none'/></interface>",
      f"<interface type='server'>{M}<source port='x'/></interface>", f"<interface type='client'>{M}<source port='5'/></interface>",
      f"<interface type='mcast'>{M}<source address='1' port='5'/><source address='2' port='6'/></interface>",
      f"<interface type='ethernet'>{M}<ip address=''/><script path=''/><target dev=''/><model type=''/></interface>",
      f"<interface type='ethernet'>{M}<target dev='vnet0'/><target dev='t'/></interface>",
      f"<interface type='network'>{M}<source network='a&amp;b'/><filterref><parameter name='a' value='b'/></filterref></interface>",
      f"<interface type='network'>{M}<source network='n'/><filterref filter='f'><parameter name='' value='1'/><parameter name='b' value=''/><parameter value='z'/><parameter name='IP' value='1'/><parameter name='IP' value='2'/></filterref></interface>",
      f"<interface type='user'>{M}<address type='pci' slot='3'/></interface>",
     ]
# chardevs
P += ["<serial/>", "<serial type=''/>", "<serial type='pty'><source path='/dev/pts/1'/></serial>", "<serial type='dev'/>",
      "<serial type='file'><source/><source path='/a'/></serial>", "<serial type='tcp'><source mode='bind' host='h' service='1'/><source host='x'/></serial>",
      "<serial type='tcp'><source host='h'/><source mode='bind' service='2' host='b'/></serial>",
      "<serial type='tcp'><source mode='connect' host='h' service='1'/><protocol/><protocol type='telnet'/></serial>",
      "<serial type='tcp'><source mode='connect' host='h' service='1'/><protocol type='telnet'/><protocol type='raw'/></serial>",
      "<serial type='udp'><source service='1'/><source mode='bind' host='a'/><source mode='bind' host='b' service='3'/></serial>",
      "<serial type='udp'><source mode='bind' service='1'/></serial>",
      "<serial type='udp'><source mode='x' service='1'/></serial>",
      "<serial type='unix'><source mode='connect' path='/s'/></serial>", "<serial type='unix'><source path='/s'/></serial>",
      "<serial type='pipe'><source mode='bind' path='/p'/></serial>",
      "<parallel type='null'/><parallel type='vc'/><parallel type='stdio'/>",
      "<console type='pty'/>", "<console/><console type='file'><source path='/a'/></console>",
      "<console type='file'><source path='/a'/></console><serial type='pty'/>",
      "<serial type='file'><source path='/a'/><address type='drive' unit='2'/></serial>",
      "<channel type='pty'><target type='guestfwd' address='10.0.2.1'/></channel>",
      "<channel type='pty'><target type='guestfwd' port='1'/></channel>",
      "<channel type='pty'><target type='guestfwd' address='x' port='1'/></channel>",
      "<channel type='pty'><target type='guestfwd' address='010.0x1.2.3' port='65537'/></channel>",
      "<channel type='pty'><target type='guestfwd' address='10.0.2.1' port='-1'/></channel>",
      "<channel type='pty'><target type='bogus'/></channel>", "<channel type='pty'><target/></channel>",
      "<channel type='pty'><target type='virtio' name='a'/><target type='guestfwd' address='1.2.3.4' port='1'/></channel>",
      "<channel type='pty'><target type='monitor'/></channel>", "<channel type='pty'><target type='parallel'/></channel>",
      "<channel type='pty'><target type='virtio'/><address type='virtio-serial' controller='1' bus='1' port='0'/></channel><channel type='pty'><target type='virtio'/><address type='virtio-serial' controller='1' bus='1'/></channel><channel type='pty'><target type='virtio'/><address type='virtio-serial' controller='1' bus='1' port='7'/></channel><channel type='pty'><target type='virtio'/><address type='virtio-serial' controller='1' bus='1'/></channel>",
      "<channel type='pty'><target type='virtio'/><address type='virtio-serial' controller='0' port='4294967295'/></channel><channel type='pty'><target type='virtio'/></channel>",
     ]
# misc devices
P += ["<input/>", "<input type='bogus'/>", "<input type='mouse' bus='ps2'/><input type='tablet'/>", "<graphics/>", "<graphics type='spice'/>",
      "<graphics type='vnc' port='x'/>", "<graphics type='vnc' port='5900' autoport='no' listen='a&amp;b' keymap='f&amp;r' passwd='p'/>",
      "<graphics type='vnc' port='0'/>", "<graphics type='vnc' autoport='no'/>", "<graphics type='rdp' port='-1'/>", "<graphics type='rdp' port='x'/>",
      "<graphics type='rdp' autoport='no' port='0' replaceUser='no' multiUser='yes' listen='a&amp;'/>",
      "<graphics type='sdl' fullscreen='maybe'/>", "<graphics type='sdl' display='a&amp;' xauth='x&lt;'/>", "<graphics type='desktop' fullscreen='no' display='d'/>",
      "<graphics type='desktop' fullscreen='bogus'/>", "<graphics type='sdl'/><graphics type='vnc'/><video/><video><model type='vga'/></video>",
      "<video><model type='bogus'/></video>", "<video><model vram='x'/></video>", "<video><model heads='0' vram='0'/></video>",
      "<video><model type='vga'><acceleration/><acceleration accel2d='yes'/></model></video>",
      "<video><model type='vga'><acceleration accel3d='no' accel2d='maybe'/></model></video>", "<video><model type='xen'/></video><graphics type='vnc'/>",
      "<sound model='sb16'/><sound model='es1370'/><sound model='pcspk'><address type='pci' slot='4'/></sound>",
      "<watchdog/>", "<watchdog model='bogus'/>", "<watchdog model='ib700' action='bogus'/>", "<watchdog model='i6300esb' action='none'/>",
      "<memballoon/>", "<memballoon model='none'/>", "<memballoon model='virtio'/><memballoon model='xen'/>",
      "<hostdev mode='capabilities' type='pci'><source><address slot='3'/></source></hostdev>", "<channel type='pty'/>",
      # virtio-serial ports are numbered by the address, whatever the channel's target
      "<channel type='pty'><target type='guestfwd' address='10.0.2.1' port='1'/><address type='virtio-serial'/></channel>"
      "<channel type='pty'><target type='virtio'/></channel>",
      "<channel type='pty'><target type='virtio'/></channel><channel type='pty'><target type='guestfwd' "
      "address='10.0.2.1' port='1'/><address type='virtio-serial'/></channel>",
      "<channel type='pty'><target type='guestfwd' address='10.0.2.1' port='1'/><address type='virtio-serial' port='5'/>"
      "</channel><channel type='pty'><target type='virtio'/></channel>",
      "<hostdev/>", "<hostdev type='usb'/>", "<hostdev type='pci'/>", "<hostdev mode='bogus' type='pci'/>",
      "<hostdev type='usb'><source><vendor id='0'/><product id='1'/></source></hostdev>",
      "<hostdev type='usb'><source><vendor id='010'/><product id='0x1'/></source></hostdev>",
      "<hostdev type='usb'><source><vendor id='1'/></source></hostdev>", "<hostdev type='usb'><source><product id='1'/></source></hostdev>",
      "<hostdev type='usb'><source><vendor/></source></hostdev>", "<hostdev type='usb'><source><bogus/></source></hostdev>",
      "<hostdev type='usb'><source><address bus='0x10' device='011'/></source></hostdev>",
      "<hostdev type='usb'><source><address device='1'/></source></hostdev>",
      "<hostdev type='usb'><source><vendor id='1'/><product id='2'/></source><source><address bus='3' device='4'/></source></hostdev>",
      "<hostdev type='pci'><source><address slot='3'/><address bus='2' slot='1'/></source></hostdev>",
      "<hostdev type='pci'><source><bogus/></source></hostdev>", "<hostdev type='pci'><source><address/></source></hostdev>",
      "<hostdev type='pci' managed='yes'><source><address slot='3'/></source><address type='pci' slot='9'/></hostdev>",
      "<filesystem><source dir='/a'/><target dir='/b'/></filesystem>", "<filesystem type='bogus'/>", "<filesystem type='file'><source dir='/a'/><target dir='/b'/></filesystem>",
      "<filesystem type='block'><source dev='/d'/><target/><target dir='/x&amp;'/></filesystem>", "<filesystem type='template'><target dir='/x'/></filesystem>",
      "<emulator></emulator>", "<emulator>/a&amp;b</emulator>", "<emulator>/usr/bin/kvm</emulator><emulator>/usr/bin/qemu</emulator>",
     ]
DEVICE_PROBES[:] = devices(*DEVICE_PROBES)
# two <devices> elements: libvirt's XPath reads the devices of both
DEVICE_PROBES.append(dom(body="<os><type>hvm</type></os><devices><disk type='file'><source file='/a'/>"
                     "<target dev='hda'/></disk><emulator>/x</emulator></devices><devices><disk type='file'>"
                     "<source file='/b'/><target dev='hdb'/></disk><emulator>/y</emulator><console type='vc'/></devices>"))
PROBES = DOMAIN_PROBES + DEVICE_PROBES
CAPS = get_profile("libvirt-test").capabilities


def ours(text: str) -> tuple[bool, str]:
    try:
        return True, domain_from_string(text, CAPS, path="probe.xml").to_xml()
    except VirtconformError as e:
        assert e.line is not None and e.message, e.format()
        return False, e.format()


def test_every_probe_loads_or_is_refused_with_a_location() -> None:
    assert len(PROBES) > 250
    for text in PROBES:
        ours(text)


def test_probes_agree_with_libvirt(tmp_path: Path) -> None:
    oracle = oracle_command()
    if oracle is None:
        pytest.skip("../shared/oracle is not present")
    files = []
    for i, text in enumerate(PROBES):
        f = tmp_path / f"{i:03d}.xml"
        f.write_text(text)
        files.append(f)
    env = dict(os.environ, LIBVIRT083_ORACLE_EMULATOR_REQUIRED="1")
    p = subprocess.run([str(oracle), "xml2xml-batch", *map(str, files)], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        pytest.skip(f"the oracle cannot run here: {p.stderr.strip()[-200:]}")
    theirs = {}
    for line in p.stdout.splitlines():
        name, status, payload = line.split("\t", 2)
        theirs[name] = (status == "OK",
                        payload.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\"))
    wrong = []
    for f, text in zip(files, PROBES, strict=True):
        ok, out = ours(text)
        lv_ok, lv_out = theirs[str(f)]
        if "<uuid></uuid>" in text:  # libvirt draws a random one (docs/deviations.md: generated-uuid)
            if ok != lv_ok:
                wrong.append((text, lv_out, out))
            continue
        if ok != lv_ok or (ok and out != lv_out):
            wrong.append((text, lv_out, out))
    assert not wrong, "\n\n".join(f"{t}\nlibvirt: {lo}\nours: {o}" for t, lo, o in wrong[:5])
