//! Command-line grammar (clap derive). Values that the core validates (categories, conditions,
//! ids, tickets) are taken as plain strings here, so that their errors are the core's messages.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Partage: lend and borrow household things with your neighbours, with no server.
#[derive(Debug, Parser)]
#[command(name = "partage", version, propagate_version = true)]
pub struct Cli {
    /// Data directory (default: the platform's data directory for Partage).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// Where an encrypted export's passphrase comes from (never the command line: `ps` shows it).
const PASSPHRASE_HELP: &str = "Passphrase: taken from the environment variable PARTAGE_PASSPHRASE if it is set, \
otherwise read as one line from standard input (it is not hidden while you type; pipe it in or use \
the variable). Never given as an argument, where other users could see it in `ps`. An import asks \
for it only if the file is encrypted.";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create this installation's identity (prints your member id).
    Init {
        /// Your display name, as your neighbours will see it.
        #[arg(long)]
        name: String,
    },
    /// Show this installation's identity.
    Whoami,
    /// Create, join, list and leave neighbourhoods.
    #[command(subcommand, visible_alias = "nb")]
    Neighbourhood(NeighbourhoodCmd),
    /// Add, edit and find items.
    #[command(subcommand)]
    Item(ItemCmd),
    /// Your devices: link a new one (tablet, new phone), list them, revoke a lost one.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Borrow and lend: requests, answers, handover, return, extensions.
    #[command(subcommand)]
    Loan(LoanCmd),
    /// What needs your attention today: pickups, due dates, overdue items, requests, answers.
    Reminders {
        /// Compute the reminders for this day instead of today (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
    },
    /// Write a backup of everything this data directory holds (it includes your secret keys),
    /// or, with --data-only, just your own data. Files are readable by you only (mode 0600).
    #[command(after_help = PASSPHRASE_HELP)]
    Export {
        /// File to write.
        file: PathBuf,
        /// Encrypt the backup with a passphrase (Argon2id + XChaCha20-Poly1305); import asks
        /// for the same passphrase.
        #[arg(long, conflicts_with = "data_only")]
        encrypt: bool,
        /// Write only your own data as readable JSON: your name, your items, your loans and the
        /// names of your neighbourhoods. No secret keys, nothing of other members' items. Not a
        /// backup: it cannot be imported.
        #[arg(long)]
        data_only: bool,
    },
    /// Restore a backup (plain or encrypted) into an empty data directory.
    #[command(after_help = PASSPHRASE_HELP)]
    Import {
        /// File written by `partage export` (with or without --encrypt).
        file: PathBuf,
    },
    /// Stay online: listen, find neighbours on the LAN (mDNS) and at the given addresses, sync,
    /// and print what happens until Ctrl-C.
    Run(RunArgs),
    /// Connect to a peer, sync everything you share, print a summary and exit.
    Sync {
        /// The peer's address (multiaddr, as `partage run` prints it); repeat for several.
        #[arg(long = "peer", value_name = "MULTIADDR", required = true)]
        peers: Vec<String>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 30, value_name = "SECONDS")]
        timeout: u64,
    },
    /// Peers this device has synced with, and where they were reachable.
    Peers,
    /// This device at a glance: identity, neighbourhoods, peers, last sync.
    Status {
        /// The addresses `run --listen` would use: the peer id shown is the one `run` shows on
        /// this network with them (it is derived per network: ADR 0016).
        #[arg(long = "listen", value_name = "MULTIADDR")]
        listen: Vec<String>,
    },
    /// Three neighbours in one process: create, invite, join, add, replicate, search.
    Demo,
}

#[derive(Debug, Subcommand)]
pub enum NeighbourhoodCmd {
    /// Create a neighbourhood; you become its admin (prints its id).
    Create {
        /// Name, e.g. "Rue des Lilas".
        name: String,
    },
    /// Make an invite ticket for a neighbourhood (prints the ticket).
    Invite {
        /// Neighbourhood id (or a unique prefix of it).
        id: String,
        /// Days until the ticket expires (1 to 365), by the clocks of the members who confirm
        /// joiners, not the joiner's.
        #[arg(long, default_value_t = 7, value_name = "N")]
        expires_in_days: u32,
        /// How many people the ticket may admit (1 to 500): 1 for a ticket sent to one person,
        /// more for a flyer in a building. Counted by the members from their records.
        #[arg(long, default_value_t = partage::admission::DEFAULT_INVITE_USES, value_name = "N")]
        uses: u32,
        /// Also draw the ticket as a QR code.
        #[arg(long)]
        qr: bool,
        /// An address where the joiner can reach you (as `partage run` prints it); repeat for
        /// several. The joiner's node dials it when it goes online.
        #[arg(long = "addr", value_name = "MULTIADDR")]
        addrs: Vec<String>,
    },
    /// Join a neighbourhood with a ticket (works offline).
    Join {
        /// The ticket, starting with "partage2".
        ticket: String,
    },
    /// List your neighbourhoods.
    List,
    /// Leave a neighbourhood: your neighbours learn it at your next sync, drop your items and
    /// give you nothing more; this device forgets everything but that notice (leave again to
    /// forget it too). On a linked device, only this device's copy is forgotten.
    Leave {
        /// Neighbourhood id (or a unique prefix of it).
        id: String,
        /// Also erase what you published there from every neighbour's device: your items and
        /// your name (loans in progress keep a minimal record for the other party).
        #[arg(long)]
        erase: bool,
    },
    /// Forget removed items and old texts of yours: your document is rebased onto a fresh
    /// history, which your neighbours adopt when they sync (done by itself after a removal when
    /// this is your only device).
    ForgetHistory {
        /// Neighbourhood id (or a unique prefix of it).
        id: String,
    },
    /// List the members known in a neighbourhood, with the invite each came through.
    Members {
        /// Neighbourhood id (or a unique prefix of it).
        id: String,
    },
    /// Admin only: revoke a member. Their items disappear, the invite they came through is
    /// closed, and everyone who joined through their invites loses membership too.
    Revoke {
        /// Neighbourhood id (or a unique prefix of it).
        id: String,
        /// Member id (or a unique prefix of it).
        member: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeviceCmd {
    /// On a device that has your identity: show a link code (valid ten minutes, for one
    /// device) and stay online until the new device has used it.
    Link {
        /// Also give the new device your member key and admin keys (changing phones). Without
        /// it, the new device can do everything except link or revoke devices and invite.
        #[arg(long)]
        full: bool,
        /// Also draw the code as a QR code.
        #[arg(long)]
        qr: bool,
        /// Where to listen (multiaddr); repeat for several. Default: every interface.
        #[arg(long = "listen", value_name = "MULTIADDR")]
        listen: Vec<String>,
    },
    /// On the new device, with an empty data directory: link it with the code your other
    /// device shows.
    Accept {
        /// The code, starting with "partagelink1".
        code: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 60, value_name = "SECONDS")]
        timeout: u64,
    },
    /// List your devices.
    List,
    /// Revoke a lost or stolen device: nothing it signs from now on is accepted.
    Revoke {
        /// Device id (or a unique prefix of it), as `partage device list` shows it.
        device: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ItemCmd {
    /// Add an item to your inventory (prints its id).
    Add(AddArgs),
    /// Change fields of one of your items.
    Edit(EditArgs),
    /// Stop lending an item for now.
    Pause {
        /// Item id (or a unique prefix of at least 4 characters).
        id: String,
    },
    /// Lend an item again.
    Resume {
        /// Item id (or a unique prefix of at least 4 characters).
        id: String,
    },
    /// Remove one of your items.
    Rm {
        /// Item id (or a unique prefix of at least 4 characters).
        id: String,
    },
    /// List items, sorted by title.
    List(ListArgs),
    /// Search titles, descriptions and tags (accent- and case-insensitive word prefixes).
    Search {
        /// Words to look for, e.g. "echel".
        query: String,
        #[command(flatten)]
        filter: FilterArgs,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one item in full.
    Show {
        /// Item id (or a unique prefix of at least 4 characters).
        id: String,
    },
    /// Add many items from a CSV or JSON file (a spreadsheet, another platform's export), all
    /// or none: rows that cannot become an item are listed and nothing is added.
    Import(ImportArgs),
    /// Save an item's photo (its original, fetched from a member if needed, or its thumbnail).
    Photo(PhotoArgs),
}

#[derive(Debug, Args)]
pub struct PhotoArgs {
    /// Item id (or a unique prefix of at least 4 characters).
    pub id: String,
    /// Which photo, from 1 (default: the first).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub index: usize,
    /// Where to write the JPEG.
    #[arg(long, value_name = "FILE")]
    pub out: std::path::PathBuf,
    /// The thumbnail (256 px, on this device once synced) instead of the original.
    #[arg(long)]
    pub thumbnail: bool,
    /// A member to fetch the original from (multiaddr; repeat for several). Remembered peers
    /// are dialed too.
    #[arg(long = "peer", value_name = "ADDR")]
    pub peers: Vec<String>,
    /// Seconds to wait for a member who has the original.
    #[arg(long, value_name = "S", default_value_t = 30)]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The catalogue: CSV (with a header line; `,` or `;`) or a JSON list of objects.
    pub file: std::path::PathBuf,
    /// Neighbourhood id (may be omitted if you are in exactly one).
    #[arg(long, value_name = "ID")]
    pub neighbourhood: Option<String>,
    /// Which column fills a field, e.g. --map title=Designation (fields: title, description,
    /// category, tags, deposit, deposit_cents, condition, max_loan_days). Columns with the
    /// usual names are found without it.
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    pub map: Vec<String>,
    /// Check every row and say what would be added, without adding anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Put items whose category this app does not know under "other" instead of refusing them.
    #[arg(long)]
    pub unknown_category_as_other: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Neighbourhood id (may be omitted if you are in exactly one).
    #[arg(long, value_name = "ID")]
    pub neighbourhood: Option<String>,
    #[arg(long)]
    pub title: String,
    #[arg(long, default_value = "")]
    pub description: String,
    /// One of: tools, garden, kitchen, cleaning, diy, sports, camping, kids, books, games,
    /// electronics, mobility, party, other (default: other).
    #[arg(long)]
    pub category: Option<String>,
    /// A tag; repeat for several.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// One of: new, good, fair, worn (default: good).
    #[arg(long)]
    pub condition: Option<String>,
    /// Deposit asked for, in cents.
    #[arg(long, value_name = "N")]
    pub deposit_cents: Option<u64>,
    /// Longest loan you accept, in days (default: 14).
    #[arg(long, value_name = "N")]
    pub max_loan_days: Option<u32>,
    /// A photo (JPEG, PNG or WebP) to add; repeat for several. Its location and other metadata
    /// are removed.
    #[arg(long = "photo", value_name = "PATH")]
    pub photos: Vec<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Item id (or a unique prefix of at least 4 characters).
    pub id: String,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    /// Replaces all tags; repeat for several.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Remove all tags.
    #[arg(long, conflicts_with = "tags")]
    pub clear_tags: bool,
    #[arg(long)]
    pub condition: Option<String>,
    /// Deposit asked for, in cents.
    #[arg(long, value_name = "N")]
    pub deposit_cents: Option<u64>,
    /// Ask for no deposit.
    #[arg(long, conflicts_with = "deposit_cents")]
    pub no_deposit: bool,
    #[arg(long, value_name = "N")]
    pub max_loan_days: Option<u32>,
    /// A photo (JPEG, PNG or WebP) to add; repeat for several.
    #[arg(long = "photo", value_name = "PATH")]
    pub photos: Vec<std::path::PathBuf>,
}

/// One page of a long list.
#[derive(Debug, Args)]
pub struct PageArgs {
    /// Show at most N items (with --json: an object with the items and the total).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Skip the first N items (with --limit).
    #[arg(long, value_name = "N", default_value_t = 0, requires = "limit")]
    pub offset: usize,
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only this neighbourhood (id or unique prefix).
    #[arg(long, value_name = "ID")]
    pub neighbourhood: Option<String>,
    /// Only this category.
    #[arg(long)]
    pub category: Option<String>,
    /// Only items that can be borrowed now (not paused).
    #[arg(long)]
    pub available: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub page: PageArgs,
    /// Only items of this member (member id, unique prefix, or "me").
    #[arg(long, value_name = "MEMBER")]
    pub owner: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum LoanCmd {
    /// Ask to borrow an item (prints the loan id).
    Request {
        /// Item id (or a unique prefix of at least 4 characters).
        item: String,
        /// First day, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        from: String,
        /// Last day, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        until: String,
        #[arg(long, default_value = "")]
        message: String,
    },
    /// Lender: accept a request.
    Accept(LoanMessageArgs),
    /// Lender: decline a request.
    Decline(LoanMessageArgs),
    /// Lender: the item was handed over.
    Handover(LoanArgs),
    /// Borrower: confirm you received the item.
    Receive(LoanArgs),
    /// Borrower: you gave the item back.
    Return(LoanArgs),
    /// Lender: confirm the item is back (the message is kept as a condition note).
    ConfirmReturn(LoanMessageArgs),
    /// Borrower: cancel before the handover.
    Cancel(LoanArgs),
    /// Lender: take back an acceptance before the handover (the message is the reason).
    Withdraw(LoanMessageArgs),
    /// Borrower: ask to keep the item longer.
    Extend {
        /// Loan id (or a unique prefix of at least 4 characters).
        loan: String,
        /// New last day, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        until: String,
    },
    /// Lender: accept the pending extension request.
    AcceptExtension(LoanArgs),
    /// Lender: decline the pending extension request.
    DeclineExtension(LoanArgs),
    /// Lender: report the item as not returned (after its last day).
    Dispute(LoanArgs),
    /// List loans.
    List {
        /// Only loans where you are the borrower or the lender.
        #[arg(long)]
        mine: bool,
    },
    /// Show one loan in full.
    Show(LoanArgs),
}

#[derive(Debug, Args)]
pub struct LoanArgs {
    /// Loan id (or a unique prefix of at least 4 characters).
    pub loan: String,
}

#[derive(Debug, Args)]
pub struct LoanMessageArgs {
    /// Loan id (or a unique prefix of at least 4 characters).
    pub loan: String,
    #[arg(long, default_value = "")]
    pub message: String,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Address to listen on; repeat for several (default: every interface, TCP and QUIC, ports
    /// chosen by the system).
    #[arg(long = "listen", value_name = "MULTIADDR")]
    pub listen: Vec<String>,
    /// Do not look for neighbours on the local network (mDNS).
    #[arg(long)]
    pub no_mdns: bool,
    /// A peer to dial (multiaddr); repeat for several.
    #[arg(long = "peer", value_name = "MULTIADDR")]
    pub peers: Vec<String>,
    /// Serve as your neighbourhoods' home node (an always-on box): keep the full replica online,
    /// listen on fixed ports (TCP and QUIC 4001 unless --listen says otherwise) and relay for
    /// verified members only, so neighbours who never share a network still sync.
    #[arg(long)]
    pub home_node: bool,
    /// With --home-node: do not ask the router to forward the ports (UPnP); forward them by hand.
    #[arg(long, requires = "home_node")]
    pub no_upnp: bool,
}
