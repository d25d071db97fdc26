//! Command-line arguments.

pub const USAGE: &str = "\
partage-bench [--items N] [--members M] [--runs R] [--edits E] [--nodes K] [--mesh K]
              [--scale-members M] [--scale-items I] [--history H] [--photo-items P]
              [--home-items I] [--home-members M] [--only GROUP,...] [--skip-net] [--json]

  --items N      items of the standard workload (default 10000)
  --members M    members sharing them (default 20)
  --runs R       runs of each repeated figure (default 3)
  --edits E      single edits for the one-edit figures (default 200)
  --nodes K      nodes of the convergence figure, all dialing one (default 20)
  --mesh K       nodes of the mesh convergence figure (default 50)
  --scale-members M, --scale-items I
                 the scale figure's members and items per member (default 200 x 50)
  --history H    edits of the long-history figure, compared with 100 (default 10000)
  --photo-items P  items with one photo each in the photo sync figure (default 1000)
  --home-items I   the lender's items in the home-node figures behind NAT (default 1000)
  --home-members M members the home node serves in its memory figure (default 50)
  --only LIST    run only these groups (comma-separated): core, sync, memory,
                 convergence, inventory, wire, samod, scale, mesh, history, photos,
                 home (behind NAT needs root and network namespaces; skipped otherwise)
  --skip-net     run only the groups without libp2p (core, inventory)
  --json         one JSON object on stdout instead of the table";

/// Figure groups, in the order they run.
pub const GROUPS: &[&str] = &[
    "core",
    "sync",
    "memory",
    "convergence",
    "inventory",
    "wire",
    "samod",
    "scale",
    "mesh",
    "history",
    "photos",
    "home",
];
/// The groups that use no network.
const OFFLINE: &[&str] = &["core", "inventory"];

pub struct Args {
    pub items: usize,
    pub members: usize,
    pub runs: usize,
    pub edits: usize,
    pub nodes: usize,
    pub mesh: usize,
    pub scale_members: usize,
    pub scale_items: usize,
    pub history: usize,
    pub photo_items: usize,
    pub home_items: usize,
    pub home_members: usize,
    pub json: bool,
    groups: Vec<String>,
}

impl Args {
    /// Whether `group` runs.
    pub fn runs(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

pub fn parse(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        items: 10_000,
        members: 20,
        runs: 3,
        edits: 200,
        nodes: 20,
        mesh: 50,
        scale_members: 200,
        scale_items: 50,
        history: 10_000,
        photo_items: 1_000,
        home_items: 1_000,
        home_members: 50,
        json: false,
        groups: GROUPS.iter().map(|g| g.to_string()).collect(),
    };
    let mut it = args;
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        let number = |name: &str, v: String| {
            v.parse().ok().filter(|n: &usize| *n > 0).ok_or_else(|| format!("{name} needs a positive number"))
        };
        match arg.as_str() {
            "--items" => a.items = number("--items", value("--items")?)?,
            "--members" => a.members = number("--members", value("--members")?)?,
            "--runs" => a.runs = number("--runs", value("--runs")?)?,
            "--edits" => a.edits = number("--edits", value("--edits")?)?,
            "--nodes" => a.nodes = number("--nodes", value("--nodes")?)?,
            "--mesh" => a.mesh = number("--mesh", value("--mesh")?)?,
            "--scale-members" => a.scale_members = number("--scale-members", value("--scale-members")?)?,
            "--scale-items" => a.scale_items = number("--scale-items", value("--scale-items")?)?,
            "--history" => a.history = number("--history", value("--history")?)?,
            "--photo-items" => a.photo_items = number("--photo-items", value("--photo-items")?)?,
            "--home-items" => a.home_items = number("--home-items", value("--home-items")?)?,
            "--home-members" => a.home_members = number("--home-members", value("--home-members")?)?,
            "--only" => {
                let list = value("--only")?;
                a.groups = list.split(',').map(|g| g.trim().to_owned()).filter(|g| !g.is_empty()).collect();
                if let Some(g) = a.groups.iter().find(|g| !GROUPS.contains(&g.as_str())) {
                    return Err(format!("unknown group {g} (groups: {})", GROUPS.join(", ")));
                }
            }
            "--skip-net" => a.groups.retain(|g| OFFLINE.contains(&g.as_str())),
            "--json" => a.json = true,
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if a.members < 2 || a.nodes < 2 || a.mesh < 2 || a.scale_members < 2 {
        return Err("--members, --nodes, --mesh and --scale-members need at least 2".into());
    }
    Ok(a)
}
