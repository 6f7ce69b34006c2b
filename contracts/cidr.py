"""IPv4 address planning for the private subnets, kept apart from any resource so it is tested alone.

Studio places one or more elastic network interfaces per running app in the domain's subnets, and
each interface endpoint takes one address per subnet. Subnets are sized so that one subnet alone can
carry every user: when an availability zone fails, Studio keeps working from the others.
"""

from __future__ import annotations

import ipaddress

#: AWS keeps the first four addresses and the last one of every subnet.
AWS_RESERVED_PER_SUBNET = 5
#: A Studio user runs up to four apps with an interface each (JupyterLab, kernel gateways, Data Wrangler).
ADDRESSES_PER_STUDIO_USER = 4


def parse_network(cidr: str) -> ipaddress.IPv4Network:
    """Parse a strict IPv4 CIDR (no host bits), raising ValueError with the expected form."""
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        raise ValueError(f"{cidr!r} is not an IPv4 network; expected a CIDR such as 10.20.0.0/16") from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise ValueError(f"{cidr!r} is IPv6; expected an IPv4 CIDR such as 10.20.0.0/16")
    if not 16 <= network.prefixlen <= 28:
        raise ValueError(f"{cidr!r} has prefix /{network.prefixlen}; expected /16 to /28, the sizes a VPC allows")
    return network


def carve_subnets(vpc_cidr: str, count: int, prefix_length: int) -> tuple[str, ...]:
    """The first ``count`` subnets of ``prefix_length`` inside ``vpc_cidr``, in address order."""
    vpc = parse_network(vpc_cidr)
    if not 16 <= prefix_length <= 28:
        raise ValueError(f"/{prefix_length} is not a subnet size; expected a prefix length from /16 to /28")
    available = 2 ** (prefix_length - vpc.prefixlen) if prefix_length >= vpc.prefixlen else 0
    if available < count:
        fitting = vpc.prefixlen + (count - 1).bit_length()
        remedy = f"a prefix length of /{fitting} or longer, or a larger VPC" if fitting <= 28 else "a larger VPC"
        raise ValueError(f"VPC {vpc} is too small for {count} subnets of /{prefix_length}; expected {remedy}")
    subnets = vpc.subnets(new_prefix=prefix_length)
    return tuple(str(next(subnets)) for _ in range(count))


def check_subnets(vpc_cidr: str, subnet_cidrs: tuple[str, ...]) -> None:
    """Explicit subnets must lie inside the VPC and must not overlap each other."""
    vpc = parse_network(vpc_cidr)
    parsed: list[ipaddress.IPv4Network] = []
    for cidr in subnet_cidrs:
        subnet = parse_network(cidr)
        if not subnet.subnet_of(vpc):
            raise ValueError(f"subnet {subnet} lies outside VPC {vpc}; expected a subnet inside it")
        for earlier in parsed:
            if subnet.overlaps(earlier):
                raise ValueError(f"subnets {earlier} and {subnet} overlap; expected disjoint subnets")
        parsed.append(subnet)


def usable_addresses(cidr: str) -> int:
    """Addresses AWS lets interfaces use in a subnet."""
    return ipaddress.ip_network(cidr).num_addresses - AWS_RESERVED_PER_SUBNET


def studio_users_per_subnet(cidr: str, reserved: int = 0) -> int:
    """How many Studio users one subnet carries, after ``reserved`` addresses (endpoint interfaces)."""
    return max(0, usable_addresses(cidr) - reserved) // ADDRESSES_PER_STUDIO_USER
