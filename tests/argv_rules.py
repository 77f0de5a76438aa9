"""Hand-written QEMU command lines, each a witness of one rule of libvirt 0.8.3's
qemuParseCommandLine (domxml-from-native). The expected result is never written
here: tests/test_argv2xml.py asks libvirt's own code (../shared/oracle) at run time.
"""
from __future__ import annotations

Q = "/usr/bin/qemu -nographic"

#: (rule, command line)
RULES: list[tuple[str, str]] = [
    # splitting (qemuStringToArgvEnv) and the emulator
    ("bare emulator: 64 MiB, one CPU, ACPI, SDL, cirrus, balloon", "/usr/bin/qemu-system-x86_64"),
    ("environment words carry DISPLAY and XAUTHORITY to SDL", "A=1 DISPLAY=:0.0 XAUTHORITY=/root/.x /usr/bin/qemu"),
    ("a word ends at a space only: a tab stays inside it", "/usr/bin/qemu\t-name x -nographic"),
    ("a newline ends the last word", "/usr/bin/qemu -nographic -name\nx"),
    ("quotes group only at the start of a word", "/usr/bin/qemu -nographic -name 'my guest' -append a'b"),
    ("double quotes too, no escapes", '/usr/bin/qemu -nographic -append "root=/dev/sda quiet"'),
    ("an unterminated quote runs to the end", "/usr/bin/qemu -nographic -append 'ro quiet"),
    ("a leading blank makes an empty emulator", " /usr/bin/qemu -nographic"),
    ("only environment words: no emulator", "A=1 B=2"),
    ("kvm in the emulator name: kvm with PAE", "/usr/bin/qemu-kvm -nographic"),
    ("-no-kvm turns a kvm emulator back to qemu (PAE stays)", "/usr/bin/kvm -nographic -no-kvm"),
    ("xenner: a kvm xen guest with the xen mouse", "/usr/bin/xenner -vnc :1"),
    ("qemu-system-ARCH names the architecture", "/opt/bin/qemu-system-ppc -nographic"),
    ("an empty architecture after qemu-system-", "/usr/bin/qemu-system- -nographic"),
    ("a double dash is folded to one", "/usr/bin/qemu --nographic --m 128 --name x"),
    # unknown arguments
    ("an unknown option is dropped; its value is read as an argument", f"{Q} -rtc -m 512"),
    ("the -device syntax is dropped word by word", f"{Q} -device e1000,netdev=n -netdev user,id=n -chardev pty,id=c"),
    ("-watchdog-action before any -watchdog is unknown", f"{Q} -watchdog-action pause -watchdog ib700"),
    ("ignored start-up options", f"{Q} -S -usb -domid 5 -pidfile /p -incoming tcp:0:4444 -monitor pty"),
    ("missing value", f"{Q} -name"),
    ("missing value in the -net first pass", f"{Q} -net"),
    # memory, CPUs, CPU model
    ("-m in MiB", f"{Q} -m 1024"),
    ("-m multiplied in a C int wraps", f"{Q} -m 4194305"),
    ("-m must be a whole integer", f"{Q} -m 12k"),
    ("-smp count", f"{Q} -smp 4"),
    ("-smp topology needs sockets, cores and threads", f"{Q} -smp 4,sockets=2,cores=2,threads=1"),
    ("-smp partial topology is an error", f"{Q} -smp 4,sockets=2"),
    ("-smp unknown key is an error", f"{Q} -smp 4,maxcpus=8"),
    ("-smp count must come first", f"{Q} -smp sockets=1,cores=1,threads=1,2"),
    ("-smp zero topology is none", f"{Q} -smp 2,sockets=0,cores=0,threads=0"),
    ("-smp negative count wraps to unsigned", f"{Q} -smp -1"),
    ("-cpu model and features", f"{Q} -cpu qemu64,+sse2,-lm,kvm"),
    ("-cpu twice: the first model stays, features add up", f"{Q} -cpu core2duo,+vmx -cpu phenom,-svm,+x2apic"),
    ("-cpu after -smp keeps the topology", f"{Q} -smp 2,sockets=2,cores=1,threads=1 -cpu qemu32"),
    ("-smp after -cpu adds the topology", f"{Q} -cpu qemu32 -smp 2,sockets=1,cores=2,threads=1"),
    ("-cpu duplicate feature", f"{Q} -cpu qemu64,+sse2,+sse2"),
    ("-cpu empty item", f"{Q} -cpu qemu64,,+sse2"),
    ("-cpu bare sign", f"{Q} -cpu qemu64,+"),
    # identity, machine, lifecycle, features
    ("-uuid with dashes", f"{Q} -uuid 12345678-1234-1234-1234-123456789abc"),
    ("-uuid without dashes, blanks around", f"{Q} -uuid ' 1234567812341234123412345678ABCD '"),
    ("-uuid dash inside a pair", f"{Q} -uuid 1-2345678123412341234123456789abcd"),
    ("-uuid too short", f"{Q} -uuid 1234"),
    ("-name as written", f"{Q} -name guest-1.example"),
    ("-M as written", f"{Q} -M pc-0.12"),
    ("-no-acpi and -no-reboot", f"{Q} -no-acpi -no-reboot"),
    ("-localtime", f"{Q} -localtime"),
    # boot
    ("-boot letters in order, others skipped", f"{Q} -boot ncxda"),
    ("-boot reads past commas, at most four", f"{Q} -boot order=dc,menu=on"),
    ("-kernel, -initrd, -append", f"{Q} -kernel /boot/vmlinuz -initrd /boot/initrd -append console=ttyS0 -boot c"),
    ("-bootloader hides the boot devices", f"{Q} -boot cd -bootloader /usr/bin/pygrub"),
    # legacy disks
    ("-hda, -hdd, -cdrom", f"{Q} -hda /var/lib/a.img -hdd /dev/sdb -cdrom /iso/x.iso"),
    ("-sda and -fdb", f"{Q} -sda /dev/sdc -fdb /tmp/floppy.img"),
    ("any -hd/-sd/-fd suffix names the disk", f"{Q} -hdq /a -sdl /b -fdz /c"),
    ("a bare prefix is disk index 0", f"{Q} -hd /a"),
    ("a suffix that is no disk name fails", f"{Q} -hdX /a"),
    ("-usbdevice disk: is always sda on usb", f"{Q} -usbdevice disk:/dev/sdd -usbdevice disk:/a.img"),
    # -drive
    ("-drive bus/unit on ide and scsi", f"{Q} -drive file=/a,if=ide,bus=1,unit=1 -drive file=/b,if=scsi,bus=1,unit=3"),
    ("-drive virtio counts virtio drives", f"{Q} -drive file=/a,if=virtio -drive file=/b,if=virtio,index=5 "
                                          "-drive file=/c,if=virtio"),
    ("-drive xen and index", f"{Q} -drive file=/dev/xvdb,if=xen,index=1"),
    ("-drive if=floppy stays on IDE", f"{Q} -drive file=/f.img,if=floppy,index=0"),
    ("-drive if=none stays on IDE and needs an index", f"{Q} -drive file=/a,if=none,id=drive0"),
    ("-drive media=cdrom without file, readonly", f"{Q} -drive file=,if=ide,media=cdrom,index=2"),
    ("-drive media=floppy on ide", f"{Q} -drive file=/f,media=floppy,index=1"),
    ("-drive format, cache and error policy", f"{Q} -drive file=/a,if=ide,index=0,format=qcow2,cache=none,"
                                              "werror=stop,rerror=stop"),
    ("-drive cache on/off and unknown values", f"{Q} -drive file=/a,index=0,cache=on -drive file=/b,index=1,"
                                               "cache=off -drive file=/c,index=2,cache=unsafe,werror=report"),
    ("-drive error policy alone", f"{Q} -drive file=/a,index=0,werror=ignore"),
    ("-drive error policy by libvirt's names (enospace), not QEMU's (enospc)",
     f"{Q} -drive file=/a,index=0,cache=off,werror=enospace -drive file=/b,index=1,cache=off,rerror=enospc"),
    ("-drive readonly=on, =off, and unknown keys", f"{Q} -drive file=/a,index=0,readonly=on,boot=on,serial=X1 "
                                                   "-drive file=/b,index=1,readonly=off,aio=native"),
    ("-drive index wraps in a char", f"{Q} -drive file=/a,index=256 -drive file=/b,if=scsi,index=282"),
    ("-drive index 159 ends the name", f"{Q} -drive file=/a,if=virtio,index=159"),
    ("-drive index past z fails", f"{Q} -drive file=/a,index=30"),
    ("-drive negative index counts as absent", f"{Q} -drive file=/a,index=-1,unit=1"),
    ("-drive without file", f"{Q} -drive if=ide,index=0"),
    ("-drive without index, bus or unit", f"{Q} -drive file=/a"),
    ("-drive item without =", f"{Q} -drive file=/a,readonly"),
    ("-drive doubled comma is an empty item", f"{Q} -drive file=/a,,b,index=0"),
    ("-drive index not a number", f"{Q} -drive file=/a,index=x"),
    ("-drive later file wins, empty file keeps it", f"{Q} -drive file=/a,file=/dev/b,file=,index=0"),
    # -net
    ("-net nic + user on vlan 0", f"{Q} -net nic,macaddr=52:54:00:12:34:56,model=e1000 -net user"),
    ("-net pairs by vlan, in any order", f"{Q} -net user,vlan=2 -net nic,vlan=1,macaddr=00:11:22:33:44:01 "
                                         "-net nic,vlan=2,macaddr=00:11:22:33:44:02,model=virtio -net tap,vlan=1"),
    ("-net two host sides share one guest side", f"{Q} -net nic,macaddr=00:11:22:33:44:55 -net user -net tap"),
    ("-net guest side without host side is dropped", f"{Q} -net nic,macaddr=00:11:22:33:44:55 -net none"),
    ("-net host side without guest side", f"{Q} -net user,vlan=3"),
    ("-net tap script and ifname", f"{Q} -net nic,macaddr=00:11:22:33:44:55 -net tap,ifname=vnet7,"
                                   "script=/etc/qemu-ifup,vlan=0"),
    ("-net tap empty script", f"{Q} -net nic,macaddr=00:11:22:33:44:55 -net tap,script=,ifname=tap0"),
    ("-net socket is a client without address", f"{Q} -net nic,macaddr=00:11:22:33:44:55 -net socket,"
                                                "connect=192.168.0.1:5000"),
    ("-net other backends are ethernet", f"{Q} -net nic,macaddr=00:11:22:33:44:55 -net vde,sock=/v"),
    ("-net tap without comma is ethernet too", f"{Q} -net nic,macaddr=00:11:22:33:44:55 -net tap"),
    ("-net nic prefix: nicfoo is a guest side", f"{Q} -net nicfoo -net user"),
    ("-net mac address forms", f"{Q} -net nic,macaddr=0:1:2:A:b:C -net user"),
    ("-net bad mac address", f"{Q} -net nic,macaddr=00:11:22:33:44 -net user"),
    ("-net bad vlan of the host side", f"{Q} -net nic -net user,vlan=x"),
    ("-net bad vlan of the guest side", f"{Q} -net nic,vlan=x -net user"),
    ("-net guest side vlan with trailing text", f"{Q} -net nic,vlan=1x -net user,vlan=1"),
    ("-net a guest side without vlan= joins no host side by vlan", f"{Q} -net nic,macaddr=00:11:22:33:44:09 "
                                                                     "-net nic,vlan=1,macaddr=00:11:22:33:44:01 -net user,vlan=1"),
    ("-net vlan 0 unmatched takes the first guest side", f"{Q} -net nic,vlan=2,macaddr=00:11:22:33:44:02,model=e1000 "
                                                          "-net nic,vlan=3,macaddr=00:11:22:33:44:03 -net tap,vlan=0"),
    ("-net vlan 0 prefers a guest side on vlan 0", f"{Q} -net nic,vlan=1,macaddr=00:11:22:33:44:01 "
                                                   "-net nic,macaddr=00:11:22:33:44:09 -net nic,vlan=0,macaddr=00:11:22:33:44:00 -net user"),
    ("-net vlan 0 unmatched reads every guest side's vlan", f"{Q} -net nic,vlan=1 -net nic,vlan=x -net user"),
    ("-net another vlan unmatched is an error", f"{Q} -net nic,vlan=2 -net nic -net user,vlan=1"),
    ("-net malformed guest keywords", f"{Q} -net nic,model -net user"),
    # character devices
    ("-serial and -parallel simple kinds", f"{Q} -serial pty -serial vc -serial null -serial stdio -parallel none"),
    ("-serial file, pipe, device", f"{Q} -serial file:/var/log/s.log -serial pipe:/tmp/p -parallel /dev/parport0"),
    ("-serial tcp listens with server anywhere after a comma", f"{Q} -serial tcp:127.0.0.1:9999,server,nowait "
                                                              "-serial telnet:h:23,nowait,server -serial tcp:h:1"),
    ("-serial tcp without port", f"{Q} -serial tcp:localhost"),
    ("-serial unix listens only with listen", f"{Q} -serial unix:/tmp/s,server,nowait -serial unix:/tmp/t,listen"),
    ("-serial udp parts", f"{Q} -serial udp:1.2.3.4:99@5.6.7.8:100 -serial udp:h:1 -serial udp:h -serial udp::2@:"),
    ("-serial unknown syntax", f"{Q} -serial mon:stdio"),
    ("-serial none", f"{Q} -serial none -serial pty"),
    # input, hostdev
    ("-usbdevice tablet and mouse", f"{Q} -usbdevice tablet -usbdevice mouse"),
    ("-usbdevice host bus.device", f"{Q} -usbdevice host:3.14 -usbdevice host:0.0"),
    ("-usbdevice host vendor:product in hex", f"{Q} -usbdevice host:0x46d:c21f -usbdevice host:0:1"),
    ("-usbdevice host with a sign", f"{Q} -usbdevice host:-1:2"),
    ("-usbdevice host bad", f"{Q} -usbdevice host:1:2:3"),
    ("-usbdevice unknown", f"{Q} -usbdevice keyboard"),
    ("-pcidevice", f"{Q} -pcidevice host=0a:1f.7"),
    ("-pcidevice bad", f"{Q} -pcidevice host=0a.1f"),
    # sound, watchdog, video, graphics
    ("-soundhw by prefix, unknown skipped", f"{Q} -soundhw pcspk,sb16x,gus,es1370,ac97"),
    ("-watchdog and its action", f"{Q} -watchdog i6300esb -watchdog-action poweroff"),
    ("-watchdog unknown model and action are ignored", f"{Q} -watchdog ib700 -watchdog-action explode "
                                                        "-watchdog diag288"),
    ("-vga models", "/usr/bin/qemu -vga std"),
    ("-vga vmware", "/usr/bin/qemu -vga vmware -std-vga"),
    ("-vmwarevga", "/usr/bin/qemu -vmwarevga"),
    ("-vga none keeps cirrus", "/usr/bin/qemu -vga none"),
    ("-vga unknown", "/usr/bin/qemu -vga qxl"),
    ("-vga empty is the xen framebuffer", "/usr/bin/qemu -vga ''"),
    ("-vnc display and listen address", "/usr/bin/qemu -vnc 127.0.0.1:3"),
    ("-vnc without address, with options", "/usr/bin/qemu -vnc :1,password,tls"),
    ("-vnc without a colon is an automatic port", "/usr/bin/qemu -vnc vnchost"),
    ("-vnc unix:PATH: the text after the colon is no display", "/usr/bin/qemu -vnc unix:/tmp/vnc"),
    ("-vnc display -5900 has no port", "/usr/bin/qemu -vnc :-5900"),
    ("-vnc bad display", "/usr/bin/qemu -vnc host:x"),
    ("two -vnc", "/usr/bin/qemu -vnc :1 -vnc :2"),
    ("-full-screen SDL", "DISPLAY=:1 /usr/bin/qemu -full-screen"),
    ("-nographic after -vnc still keeps the VNC", "/usr/bin/qemu -vnc :0 -nographic"),
    # values are taken as written; libvirt's formatter escapes some and not others
    ("XML specials in escaped and bare values", f"{Q} -name a<b&c -M pc'x -cpu m<x,+f&g "
                                                "-drive file=/a'b,index=0,format=q<x -serial tcp:h'1:2&3"),
    ("a tab inside a value", f"{Q} -hda /tmp/a\tb -append ro\tquiet"),
]
