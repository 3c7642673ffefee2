/* Static network configuration through ioctls: no DHCP round trips under TCG, no tools needed. */
#include "guest-net.h"
#include "../common/cleanup.h"
#include "../common/error-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* With addr: sets it (req = SIOCSIFADDR/SIOCSIFNETMASK); without: sets the interface up. */
static int if_ioctl(int sock, const char *ifname, unsigned long req, const char *addr)
{
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (addr) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &sin->sin_addr);
		return ioctl(sock, req, &ifr);
	}
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

int cnb__executor_net_loopback_up(cnb_error **err)
{
	_cleanup_close_ int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || if_ioctl(sock, "lo", 0, NULL) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "bring up lo");
	return 0;
}

int cnb__executor_net_slirp_up(cnb_error **err)
{
	_cleanup_close_ int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || if_ioctl(sock, "eth0", SIOCSIFADDR, "10.0.2.15") < 0 ||
	    if_ioctl(sock, "eth0", SIOCSIFNETMASK, "255.255.255.0") < 0 || if_ioctl(sock, "eth0", 0, NULL) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "configure eth0 as 10.0.2.15/24");
	struct rtentry rt = { .rt_flags = RTF_UP | RTF_GATEWAY };
	struct sockaddr_in *gw = (struct sockaddr_in *)&rt.rt_gateway, *dst = (struct sockaddr_in *)&rt.rt_dst,
			   *mask = (struct sockaddr_in *)&rt.rt_genmask;
	gw->sin_family = dst->sin_family = mask->sin_family = AF_INET;
	inet_pton(AF_INET, "10.0.2.2", &gw->sin_addr);
	if (ioctl(sock, SIOCADDRT, &rt) < 0)
		return cnb__error_errno(err, CNB_EVM, errno, "add the default route via 10.0.2.2");
	return 0;
}
