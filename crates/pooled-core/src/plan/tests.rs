use super::*;

const AGREEMENT: &str = include_str!("../../../../examples/oxfordshire-2016-17.toml");

fn read(csv: &str) -> Result<(Plan, Vec<String>), Vec<String>> {
    let (agreement, _) = Agreement::parse(AGREEMENT).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let records = lines.enumerate().map(|(i, l)| Ok((i as u64 + 2, l.split(',').map(String::from).collect())));
    Plan::read(&agreement, &header, records).map_err(|errors| errors.render("plan.csv"))
}

const HEADER: &str = "code,name,partner,pool,line,budget";

#[test]
fn flat_profiles_and_budget_mismatches() {
    let (plan, warnings) = read(&format!("{HEADER}\nLD01,LD care,OCC,LD,learning-disability,70616006\nLD02,LD health,OCCG,LD,learning-disability,13318000.07")).unwrap();
    assert_eq!(plan.cost_centres().len(), 2);
    let ld02 = plan.cost_centre("LD02").unwrap();
    assert_eq!(ld02.profile[0], Money::from_pence(110_983_333));
    assert_eq!(ld02.profile[11], Money::from_pence(1_331_800_007 - 110_983_333 * 11));
    assert_eq!(ld02.profile.iter().sum::<Money>(), ld02.budget);
    // LD is over-allocated by 7p; every other line has no cost centres at all.
    assert_eq!(
        warnings.iter().filter(|w| w.contains("`learning-disability`")).collect::<Vec<_>>(),
        [
            "line `learning-disability` of pool `LD`: its cost centres' budgets sum to £83,934,006.07, its budget is £83,934,006.00, a difference of £0.07"
        ]
    );
    assert_eq!(warnings.len(), 7);
}

#[test]
fn given_profiles_must_sum_to_the_budget() {
    let months = (1..=12).map(|m| format!("M{m}")).collect::<Vec<_>>().join(",");
    let ok = format!("{HEADER},{months}\nMH1,MH,OCCG,MH,mental-health,12,1,1,1,1,1,1,1,1,1,1,1,1");
    let (plan, _) = read(&ok).unwrap();
    assert_eq!(plan.cost_centres()[0].profile, [Money::from_pence(100); 12]);
    let bad = format!("{HEADER},{months}\nMH1,MH,OCCG,MH,mental-health,13,1,1,1,1,1,1,1,1,1,1,1,1");
    assert_eq!(
        read(&bad).unwrap_err(),
        [
            "plan.csv:2:6: error: budget: the profile M1 to M12 sums to £12.00, not the budget £13.00, a difference of -£1.00"
        ]
    );
    let partial = format!("{HEADER},M1,M2\nMH1,MH,OCCG,MH,mental-health,13,1,12");
    assert_eq!(
        read(&partial).unwrap_err(),
        ["plan.csv:1:1: error: M3: a profile needs all of M1 to M12; M3 is missing"]
    );
}

#[test]
fn row_errors_name_row_and_column() {
    assert_eq!(
        read(&format!("{HEADER}\nA,a,OCC,XX,x,1\nB,b,ICB,OP,bcf,1\nC,c,OCC,OP,nope,1\nD,d,OCC,OP,bcf,1.001\n,e,OCC,OP,bcf,1\nA,a,OCC,OP,bcf,1\nA,a,OCC,OP,bcf,2")).unwrap_err(),
        [
            "plan.csv:2:4: error: pool: unknown pool `XX` (pools are OP, LD, MH, PD)",
            "plan.csv:3:3: error: partner: unknown partner `ICB` (partners are OCC, OCCG)",
            "plan.csv:4:5: error: line: unknown line `nope` in pool `OP`",
            "plan.csv:5:6: error: budget: invalid amount `1.001`: more than two decimal places (amounts are exact to the penny)",
            "plan.csv:6:1: error: code: no cost centre code",
            "plan.csv:8:1: error: code: cost centre `A` is listed twice (first on row 7)",
        ]
    );
    assert_eq!(
        read("code,name,pool\n").unwrap_err(),
        [
            "plan.csv:1:1: error: partner: the header lacks `partner`, `line`, `budget`; a plan needs the columns code, name, partner, pool, line, budget (and optionally M1 to M12)"
        ]
    );
}

#[test]
fn millions_of_bad_rows_cost_the_memory_of_fifty() {
    let (agreement, _) = Agreement::parse(AGREEMENT).unwrap();
    let header: Vec<&str> = HEADER.split(',').collect();
    // Two million rows without a code, made as they are read: no file, no list.
    let records = (2..2_000_002u64)
        .map(|row| Ok((row, ["", "LD care", "OCC", "LD", "learning-disability", "1"].map(String::from).to_vec())));
    let bad = Plan::read(&agreement, &header, records).unwrap_err();
    assert_eq!(bad.first().len(), BadRows::KEPT);
    assert_eq!(bad.more(), 2_000_000 - 50);
    assert_eq!(bad.render("plan.csv")[50..], ["plan.csv: and 1,999,950 more bad rows".to_string()]);
}

#[test]
fn rows_the_file_reader_refused_are_bad_rows_in_their_place() {
    let (agreement, _) = Agreement::parse(AGREEMENT).unwrap();
    let header: Vec<&str> = HEADER.split(',').collect();
    let good = |row: u64, code: &str| {
        Ok((row, [code, "x", "OCC", "LD", "learning-disability", "1"].map(String::from).to_vec()))
    };
    let records = [
        good(2, "A"),
        Err(RowError::new(3, 7, "", "this row has 7 fields but the header has 6 (an unquoted comma?)")),
        good(4, "B"),
        good(5, "B"),
    ];
    assert_eq!(
        Plan::read(&agreement, &header, records).unwrap_err().render("plan.csv"),
        [
            "plan.csv:3:7: error: column 7: this row has 7 fields but the header has 6 (an unquoted comma?)",
            "plan.csv:5:1: error: code: cost centre `B` is listed twice (first on row 4)",
        ]
    );
}

#[test]
fn a_plan_taking_over_in_a_month_keeps_the_months_before_it() {
    let months = (1..=12).map(|m| format!("M{m}")).collect::<Vec<_>>().join(",");
    let profiled = |rows: &[&str]| read(&format!("{HEADER},{months}\n{}", rows.join("\n"))).unwrap().0;
    let before = profiled(&["A,a,OCC,LD,learning-disability,1200,100,100,100,100,100,100,100,100,100,100,100,100"]);
    // (the new plan's row, the month it takes over in, the profile kept and spread, pence)
    let cases: [(&str, u32, [i64; 12]); 5] = [
        // A grows to 1,500 from October (M7): the six months before stay at 100, the 900 left
        // follow the new profile's months from M7 (two of them a double share).
        (
            "A,a,OCC,LD,learning-disability,1500,125,125,125,125,125,75,100,200,100,200,100,100",
            7,
            [10000, 10000, 10000, 10000, 10000, 10000, 11250, 22500, 11250, 22500, 11250, 11250],
        ),
        // With no weight left in those months the rest is spread evenly, pence to March.
        (
            "A,a,OCC,LD,learning-disability,1000,1000,0,0,0,0,0,0,0,0,0,0,0",
            10,
            [10000, 10000, 10000, 10000, 10000, 10000, 10000, 10000, 10000, 3333, 3333, 3334],
        ),
        // A negative month in the profile: spread evenly too; less than was spent before
        // leaves the months to come negative.
        (
            "A,a,OCC,LD,learning-disability,600,100,100,100,100,100,100,0,0,0,100,-100,0",
            10,
            [10000, 10000, 10000, 10000, 10000, 10000, 10000, 10000, 10000, -10000, -10000, -10000],
        ),
        // A cost centre the old plan did not have had no budget before the variation.
        (
            "B,b,OCC,LD,learning-disability,600,50,50,50,50,50,50,50,50,50,50,50,50",
            7,
            [0, 0, 0, 0, 0, 0, 10000, 10000, 10000, 10000, 10000, 10000],
        ),
        // Taking over in M1 is the new plan as it is.
        (
            "A,a,OCC,LD,learning-disability,1200,1200,0,0,0,0,0,0,0,0,0,0,0",
            1,
            [120000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ),
    ];
    for (row, from, expected) in cases {
        let plan = profiled(&[row])
            .taking_over(&|code| before.cost_centre(code).map(|c| c.profile), FiscalMonth::new(from).unwrap());
        let cc = &plan.cost_centres()[0];
        assert_eq!(cc.profile.map(Money::pence), expected, "{row} from M{from}");
        assert_eq!(cc.profile.iter().sum::<Money>(), cc.budget);
    }
}
