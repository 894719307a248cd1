"""Demo accounts for `manage.py seed_demo`. Every function here is idempotent."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from portal import roles
from portal.models import Membership, Organization, User

DEMO_PASSWORD = "portal-demo-2026"  # noqa: S105 -- the published demo password; seed_demo refuses production

STAFF = [
    ("admin@demo.test", "Ada Admin", None),
    ("agent@demo.test", "Sam Agent", roles.SUPPORT_ENGINEER),
    ("sa@demo.test", "Sasha Architect", roles.SOLUTION_ARCHITECT),
    ("am@demo.test", "Morgan Manager", roles.ACCOUNT_MANAGER),
]

CUSTOMERS = [
    ("Acme Outfitters", "alice@acme.test", "Alice Acme", Membership.Role.ADMIN),
    ("Acme Outfitters", "bob@acme.test", "Bob Acme", Membership.Role.MEMBER),
    ("Globex Retail", "gina@globex.test", "Gina Globex", Membership.Role.ADMIN),
    ("Initech Supply", "ian@initech.test", "Ian Initech", Membership.Role.ADMIN),
    ("Umbrella Goods", "uma@umbrella.test", "Uma Umbrella", Membership.Role.ADMIN),
]


def _user(email: str, full_name: str, **extra) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name, **extra)
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def seed_accounts(*, today, out) -> list[tuple[str, str, str]]:
    """Creates the demo staff, organizations and customers; returns (email, role, organization) rows."""
    rows = []
    for email, name, group in STAFF:
        if group is None:
            user = _user(email, name, is_staff=True, is_superuser=True)
            rows.append((email, "Admin (superuser)", "—"))
        else:
            user = _user(email, name)
            user.groups.add(Group.objects.get(name=group))
            rows.append((email, group, "—"))
    account_manager = User.objects.get(email="am@demo.test")
    for org_name, email, name, role in CUSTOMERS:
        organization, _ = Organization.objects.get_or_create(
            name=org_name, defaults={"account_manager": account_manager}
        )
        user = _user(email, name)
        Membership.objects.get_or_create(user=user, defaults={"organization": organization, "role": role})
        rows.append((email, f"Customer {Membership.Role(role).label.lower()}", org_name))
    return rows


# Knowledge base -------------------------------------------------------------------------------

KB_CATEGORIES = [
    ("getting-started", "Getting started", "First steps: your account, your colleagues and how to ask for help.", 1),
    ("orders-and-routing", "Orders and routing", "How orders come in, where they go, and what to do if one stops.", 2),
    ("inventory-sync", "Inventory sync", "Keeping stock right across your sales channels, ERP and warehouses.", 3),
    ("connectors", "Connectors", "Setting up and troubleshooting each connected system.", 4),
]

# (slug, category slug, title, tags, visibility, status, Markdown body)
KB_ARTICLES = [
    (
        "connect-your-first-store-and-erp",
        "getting-started",
        "Connect your first store and your ERP",
        "onboarding, shopify, netsuite",
        "public",
        "published",
        """Most teams start with two connections: the store where orders are placed and the ERP that keeps the books.

## Before you begin
- An administrator login for your store (for example Shopify).
- An ERP user allowed to create integration tokens (for example NetSuite).
- A list of the warehouses or 3PLs that ship your orders.

## Steps
1. In **Integrations**, choose **Add connection** and pick your store. Approve the access it asks for.
2. Add your ERP the same way, then pick the subsidiary and location orders belong to.
3. Open **Mappings** and check that your SKUs match on both sides. Unmatched SKUs are listed in red.
4. Turn on **Order import** for the store and **Order export** for the ERP.

Place a test order. Within a few minutes it should show in the order list with the status *Sent to ERP*.

If it does not, read [Orders stuck before routing](/kb/orders-stuck-before-routing/).
""",
    ),
    (
        "invite-colleagues-and-roles",
        "getting-started",
        "Invite colleagues and choose their role",
        "account, users, roles",
        "public",
        "published",
        """Everyone at your company can have their own sign-in to this support portal.

| Role | Can do |
| --- | --- |
| Administrator | Everything a member can, plus invite people, change roles and remove members |
| Member | Read articles, open support requests and follow them |

## Inviting someone
1. Open **Members** in the top menu (administrators only).
2. Enter their work email address and choose a role.
3. They receive a link to create their account. It works once and expires after seven days.

If a link has expired, send a new invitation: the old one stops working.

Your organization always keeps at least one administrator, so the last one cannot be removed or demoted.
""",
    ),
    (
        "choosing-a-priority",
        "getting-started",
        "Choosing the right priority for a support request",
        "support, priority, tickets",
        "public",
        "published",
        """The priority you pick tells our engineers how much the problem is hurting your business today.

- **Urgent**: the business has stopped and there is no way around it. Orders cannot be processed, order data is
  damaged with no way back, you suspect a security breach, or the system is too slow to use.
- **High**: a major function is broken but you can keep going by hand. For example orders are delayed by
  processing errors you can fix one by one, or your sales channels and ERP are out of sync.
- **Normal**: a minor problem with a workaround, or a change of normal impact: small stock differences,
  enhancement ideas, changes to custom mappings, layout glitches.
- **Low**: nothing is affected. How-to questions, non-urgent setup, questions about a message, advice on a mapping.

Requests sent by plain email are handled as **Normal**. Use the support request form when something is urgent.
""",
    ),
    (
        "your-support-plan",
        "getting-started",
        "Your support plan: response targets and channels",
        "support, sla, contract, slack",
        "customers",
        "published",
        """This article is for signed-in customers: your own plan is shown on the **Contract** page.

## First response targets
We measure from the moment your request arrives until an engineer first answers you publicly.
Standard and Enterprise targets count business hours: 06:00 to 18:00 Pacific time, Monday to Friday,
outside US federal holidays. With the Premium add-on the clock runs around the clock, every day.

## Channels
- The **support request form** and the **API** are available on every plan.
- **Email** is available on every plan; emailed requests start at Normal priority.
- **Slack** is available on Enterprise when your contract includes it. It is for quick exchanges and has
  no response target: open a request for anything time-critical.
- Premium customers also get an **escalation channel** for critical issues.
""",
    ),
    (
        "how-order-routing-works",
        "orders-and-routing",
        "How order routing picks a warehouse",
        "routing, fulfillment, warehouses",
        "public",
        "published",
        """Every imported order goes through your routing rules, top to bottom. The first rule that matches decides
where each line ships from.

A rule can look at:

- the **sales channel** (Shopify, Amazon, ...),
- the **destination** (country, state, postal code),
- the **SKU** or a product tag,
- **stock on hand** at each location.

When no rule matches, the order uses the default location set in **Routing > Defaults**.

## Tips
- Put the most specific rules first.
- Keep one catch-all rule at the bottom so no order waits for a decision.
- Use *Simulate* on a past order to see which rule would pick it today.
""",
    ),
    (
        "orders-stuck-before-routing",
        "orders-and-routing",
        "Orders stuck before routing: what to check",
        "routing, troubleshooting, orders",
        "public",
        "published",
        """An order that stays in **Pending routing** for more than a few minutes is almost always waiting on data.

1. **Unknown SKU**: a line's SKU is not mapped. Open the order: the line is flagged. Add the mapping, then
   press **Retry routing**.
2. **No stock anywhere**: every location has zero available. Check [inventory sync](/kb/how-inventory-sync-works/)
   or allow backorders on the rule.
3. **Address problem**: the shipping address failed validation. Correct it on the order.
4. **Paused connection**: if the warehouse's connection is paused, orders wait. Resume it in **Integrations**.

Still stuck after these checks? Open a support request with the order number; choose **High** if many orders
are affected.
""",
    ),
    (
        "split-and-bundle-orders",
        "orders-and-routing",
        "Splitting orders and selling bundles",
        "routing, bundles, kits",
        "public",
        "published",
        """## Split shipments
When no single location can ship a whole order, routing can split it: each part becomes its own fulfillment
with its own tracking number. Turn it on per rule with **Allow split**.

## Bundles
A bundle is one SKU on the storefront made of several SKUs in the warehouse. Define it in
**Products > Bundles**: list each component and its quantity. When a bundle sells, the components are sent to
the warehouse and deducted from stock; the bundle's own availability is the smallest number of complete sets
the components allow.
""",
    ),
    (
        "how-inventory-sync-works",
        "inventory-sync",
        "How inventory sync works",
        "inventory, sync, stock",
        "public",
        "published",
        """Stock levels flow from your **sources of truth** (usually the warehouses or the ERP) to your
**sales channels**.

- Warehouse and 3PL quantities are read every 15 minutes, and at once when they send an update.
- Each channel receives the **available** quantity: on hand, minus reserved for open orders, minus any buffer.
- A sale on one channel lowers what every other channel shows at the next push.

You can see when each location last reported in **Inventory > Sources**. A source that has not reported for
an hour is marked *stale*.
""",
    ),
    (
        "fix-inventory-discrepancies",
        "inventory-sync",
        "Fixing stock differences between Shopify and NetSuite",
        "inventory, shopify, netsuite, discrepancy",
        "public",
        "published",
        """Small differences usually come from timing; persistent ones from mapping.

## Compare
Run **Inventory > Compare** for the SKU. It shows what each system reports and when it last changed.

## Common causes
- **Two sources for one location**: only one system should own a location's quantity.
- **Unmapped location** in NetSuite: quantities from it are ignored.
- **Manual edits in Shopify**: the next sync overwrites them. Change stock at the source instead.
- **Open orders** reserved but not yet shipped lower *available*, not *on hand*.

If quantities still disagree after a full sync, open a request at **Normal** priority with two or three
example SKUs.
""",
    ),
    (
        "safety-stock-buffers",
        "inventory-sync",
        "Safety stock: holding back units from a channel",
        "inventory, buffers",
        "public",
        "draft",
        """*Draft: waiting for the new buffer screens to be released.*

A buffer keeps a few units back from a channel so you do not oversell while quantities catch up. Set it per
channel, per SKU or per product tag, as a number of units or a percentage.
""",
    ),
    (
        "connect-shopify",
        "connectors",
        "Connecting Shopify",
        "shopify, connector, webhooks",
        "public",
        "published",
        """1. In **Integrations > Add connection**, choose **Shopify** and enter your `*.myshopify.com` address.
2. Approve the app in Shopify. It asks for orders, products, inventory and fulfillments.
3. Pick which Shopify locations we manage.

Orders arrive through webhooks within seconds. If Shopify reports webhook failures, we also poll every
10 minutes, so no order is lost.

**Tip:** do not install a second inventory app that writes to the same locations; the two will overwrite each other.
""",
    ),
    (
        "connect-netsuite",
        "connectors",
        "Connecting NetSuite: role, tokens and saved searches",
        "netsuite, erp, connector, tokens",
        "customers",
        "published",
        """NetSuite uses token-based authentication. Ask your NetSuite administrator to:

1. Create an **integration record** with token-based authentication on.
2. Create a **role** for the integration with access to sales orders, item fulfillments, inventory items and
   customers.
3. Create an **access token** for a user with that role.

Enter the account ID, the consumer key and secret, and the token ID and secret in
**Integrations > NetSuite**. Then choose the subsidiary, the default location and the saved search used to read
inventory.

Custom fields and custom mappings are configuration work: on Enterprise plans our Solution Architects can do
it for you from your yearly hours.
""",
    ),
    (
        "amazon-seller-central",
        "connectors",
        "Amazon Seller Central: importing orders",
        "amazon, connector, marketplace",
        "public",
        "published",
        """Connect each Amazon marketplace separately from **Integrations > Amazon**.

- **Merchant-fulfilled** orders are imported and routed like any other order; tracking is sent back to
  Amazon when the warehouse ships.
- **FBA** orders are imported for reporting and inventory only: Amazon ships them.
- Amazon sends buyer addresses only for orders you fulfil yourself, and only for a limited time.

If orders stop arriving, check in Seller Central that the authorization has not expired (it lasts a year).
""",
    ),
    (
        "shipbob-fulfillment",
        "connectors",
        "ShipBob: sending orders and getting tracking back",
        "shipbob, 3pl, fulfillment, tracking",
        "public",
        "published",
        """Once ShipBob is connected, orders routed to a ShipBob location are sent to ShipBob at once.

- ShipBob confirms receipt; the order then shows *At warehouse*.
- When ShipBob ships, the tracking number comes back and is passed to the sales channel.
- ShipBob's on-hand quantities feed [inventory sync](/kb/how-inventory-sync-works/).

An order that ShipBob rejects (for example an unknown SKU or an incomplete address) shows the reason on the
order. Fix it and press **Resend**.
""",
    ),
]


def seed_articles(*, today, out) -> list[str]:
    """Creates the knowledge-base categories and articles that are missing; returns the new articles' slugs."""
    from portal.models import Article, Category
    from portal.services import article_save

    author = User.objects.get(email="agent@demo.test")
    categories = {}
    for slug, name, description, position in KB_CATEGORIES:
        categories[slug], _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
    created = []
    for slug, category, title, tags, visibility, status, body in KB_ARTICLES:
        if Article.objects.filter(slug=slug).exists():
            continue
        article_save(
            actor=author,
            slug=slug,
            title=title,
            category=categories[category],
            tags=tags,
            visibility=visibility,
            status=status,
            body_markdown=body,
        )
        created.append(slug)
    if created:
        out.write(f"Knowledge base: {len(created)} articles added.")
    return created
