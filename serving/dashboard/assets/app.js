// The dashboard in the browser: filters over the aggregates embedded in the page, re-aggregated here and
// drawn with Vega-Lite (loaded from the bundle inlined before this script; nothing is fetched).
// Every chart draws exactly the rows its CSV link exports.

const PAGE = JSON.parse(document.getElementById("dashboard-data").textContent);

const money = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });
const integer = new Intl.NumberFormat("pt-BR", { maximumFractionDigits: 0 });

// One colour per measure, the same wherever the measure appears; defined once, in the page's CSS (the legend).
const styles = getComputedStyle(document.documentElement);
const COLOUR = Object.fromEntries(
  ["clientes", "salario", "funcionarios", "contratos"].map((measure) => [measure, styles.getPropertyValue(`--${measure}`).trim()]),
);

const NUMBER_LOCALE = { decimal: ",", thousands: ".", grouping: [3], currency: ["R$\u00a0", ""] };
const TIME_LOCALE = {
  dateTime: "%A, %e de %B de %Y. %X",
  date: "%d/%m/%Y",
  time: "%H:%M:%S",
  periods: ["AM", "PM"],
  days: ["domingo", "segunda", "terça", "quarta", "quinta", "sexta", "sábado"],
  shortDays: ["dom", "seg", "ter", "qua", "qui", "sex", "sáb"],
  months: ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
    "novembro", "dezembro"],
  shortMonths: ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"],
};
const EMBED_OPTIONS = {
  renderer: "svg",
  ast: true, // Vega's expression interpreter: no eval, so the page's CSP can forbid it
  formatLocale: NUMBER_LOCALE,
  timeFormatLocale: TIME_LOCALE,
  actions: { export: true, source: false, compiled: false, editor: false },
  i18n: { PNG_ACTION: "Salvar como PNG", SVG_ACTION: "Salvar como SVG" },
};
const SEX = { F: "Feminino", M: "Masculino", "N/A": "Não informado" };

function records(name) {
  const dataset = PAGE.datasets[name];
  return dataset.rows.map((row) => Object.fromEntries(dataset.columns.map((column, index) => [column, row[index]])));
}

const pad = (number) => String(number).padStart(2, "0");
const monthKey = (row) => `${row.ano}-${pad(row.mes)}`;
const monthLabel = (row) => `${pad(row.mes)}/${row.ano}`;
const isoToBr = (iso) => iso.split("-").reverse().join("/");

function brToIso(text) {
  const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text.trim());
  if (!match) return null;
  const iso = `${match[3]}-${match[2]}-${match[1]}`;
  const parsed = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === iso ? iso : null;
}

const filters = { from: null, to: null, convenio: "", uf: "" };

const inPeriod = (iso) => (!filters.from || iso >= filters.from) && (!filters.to || iso <= filters.to);
// A month counts when any of its days is in the period.
const monthInPeriod = (row) =>
  (!filters.from || `${monthKey(row)}-31` >= filters.from) && (!filters.to || `${monthKey(row)}-01` <= filters.to);

function sumBy(rows, key, measures) {
  const groups = new Map();
  for (const row of rows) {
    const group = key(row);
    const totals = groups.get(group) ?? Object.fromEntries(measures.map((measure) => [measure, 0]));
    for (const measure of measures) totals[measure] += row[measure];
    groups.set(group, totals);
  }
  return [...groups].map(([group, totals]) => ({ group, ...totals }));
}

const byCountThenName = (a, b) => b.clientes - a.clientes || a.group.localeCompare(b.group, "pt-BR");

function filteredClients() {
  return records("clients").filter(
    (row) =>
      inPeriod(row.data) &&
      (!filters.convenio || row.convenio === filters.convenio) &&
      (!filters.uf || row.uf === filters.uf),
  );
}

// The four client-health questions are dbt_project/analyses/client_health_*.sql, asked of the filtered rows.
const QUESTIONS = {
  by_sex: (clients) =>
    sumBy(clients, (row) => row.sexo, ["clientes"]).sort(byCountThenName)
      .map((row) => ({ sexo: SEX[row.group] ?? row.group, clientes: row.clientes })),
  registrations_per_year: (clients) =>
    sumBy(clients.filter((row) => row.data >= "2021-01-01"), (row) => row.data.slice(0, 4), ["clientes"])
      .sort((a, b) => a.group.localeCompare(b.group))
      .map((row) => ({ ano: row.group, clientes: row.clientes })),
  top_states: (clients) =>
    sumBy(clients, (row) => row.uf, ["clientes"]).sort(byCountThenName).slice(0, 5)
      .map((row) => ({ uf: row.group, clientes: row.clientes })),
  convenio_without_sus: (clients) =>
    sumBy(clients.filter((row) => row.convenio !== "SUS"), (row) => row.convenio, ["clientes"])
      .sort(byCountThenName)
      .map((row) => ({ convenio: row.group, clientes: row.clientes })),
};

function salaryByMonth() {
  return sumBy(records("salary").filter(monthInPeriod), monthLabel, ["salario_total", "funcionarios"])
    .map((row) => ({
      mes: row.group,
      chave: row.group.split("/").reverse().join("-"),
      salario_medio: row.funcionarios ? Math.round((row.salario_total / row.funcionarios) * 100) / 100 : 0,
      funcionarios: row.funcionarios,
      salario_total: Math.round(row.salario_total * 100) / 100,
    }))
    .sort((a, b) => a.chave.localeCompare(b.chave));
}

function plans() {
  return records("plans").map((row) => ({ plano: row.plano, contratos: row.contratos, valor_mensal_total: row.valor_mensal_total }));
}

const TOP_SELLERS = 10;
function sellers() {
  const names = new Map(records("sellers").map((row) => [row.id_vendedor, row.vendedor]));
  const top = sumBy(records("sellers").filter(monthInPeriod), (row) => row.id_vendedor, ["contratos", "valor_mensal_total"])
    .map((row) => ({ ...row, vendedor: names.get(row.group) }))
    .sort((a, b) => b.contratos - a.contratos || a.vendedor.localeCompare(b.vendedor, "pt-BR") || a.group - b.group)
    .slice(0, TOP_SELLERS);
  // A seller is named; the partner's employee id is added only where two shown sellers share a name.
  const shared = new Set(top.map((row) => row.vendedor).filter((name, index, all) => all.indexOf(name) !== index));
  return top.map((row) => ({
    vendedor: shared.has(row.vendedor) ? `${row.vendedor} (${row.group})` : row.vendedor,
    id_vendedor: row.group,
    contratos: row.contratos,
    valor_mensal_total: Math.round(row.valor_mensal_total * 100) / 100,
  }));
}

const COUNT_AXIS = { format: ",d", tickMinStep: 1 };

function base(extra) {
  return {
    width: "container",
    autosize: { type: "fit", contains: "padding" },
    data: { name: "table" },
    config: {
      view: { stroke: null },
      font: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
      axis: { labelFontSize: 11, titleFontSize: 11, gridColor: "#e5e7eb", domainColor: "#94a3b8", tickColor: "#94a3b8" },
    },
    ...extra,
  };
}

// Vertical bars with their value on top; the measure axis starts at zero.
function columns(category, categoryTitle, measure, measureTitle, colour, format) {
  const y = { field: measure, type: "quantitative", title: measureTitle, scale: { zero: true }, axis: format };
  return base({
    height: 220,
    encoding: {
      x: { field: category, type: "ordinal", title: categoryTitle, sort: null, axis: { labelAngle: 0, labelOverlap: true } },
      y,
      tooltip: [{ field: category, title: categoryTitle }, { field: measure, title: measureTitle, format: format.format }],
    },
    layer: [
      { mark: { type: "bar", color: colour } },
      { mark: { type: "text", dy: -4, baseline: "bottom", fontSize: 10 }, encoding: { text: { field: measure, format: format.format } } },
    ],
  });
}

// Horizontal bars for long category names (plans, sellers, states): one row per category, labels cut with an
// ellipsis at 110 px so the chart fits a phone; the tooltip and the CSV carry the full name.
function rows(category, categoryTitle, measure, measureTitle, colour, format, more = []) {
  return base({
    height: { step: 24 },
    encoding: {
      y: { field: category, type: "nominal", title: categoryTitle, sort: null, axis: { labelLimit: 110, title: null } },
      x: { field: measure, type: "quantitative", title: measureTitle, scale: { zero: true }, axis: format },
      tooltip: [{ field: category, title: categoryTitle }, { field: measure, title: measureTitle, format: format.format }, ...more],
    },
    layer: [
      { mark: { type: "bar", color: colour } },
      { mark: { type: "text", align: "left", dx: 3, fontSize: 10 }, encoding: { text: { field: measure, format: format.format } } },
    ],
  });
}

function salaryLine() {
  return base({
    height: 220,
    encoding: {
      x: { field: "mes", type: "ordinal", title: "Mês de referência", sort: null, axis: { labelAngle: 0, labelOverlap: true } },
      y: { field: "salario_medio", type: "quantitative", title: "Salário médio (R$)", scale: { zero: true }, axis: { format: "$,.0f" } },
      tooltip: [
        { field: "mes", title: "Mês" },
        { field: "salario_medio", title: "Salário médio ponderado", format: "$,.2f" },
        { field: "funcionarios", title: "Funcionários", format: ",d" },
      ],
    },
    layer: [
      { mark: { type: "line", color: COLOUR.salario } },
      { mark: { type: "point", filled: true, size: 60, color: COLOUR.salario } },
    ],
  });
}

const CHARTS = [
  { key: "by_sex", dataset: "clients", spec: () => columns("sexo", "Sexo", "clientes", "Clientes", COLOUR.clientes, COUNT_AXIS),
    rows: (clients) => QUESTIONS.by_sex(clients) },
  { key: "registrations_per_year", dataset: "clients",
    spec: () => columns("ano", "Ano de cadastro", "clientes", "Clientes", COLOUR.clientes, COUNT_AXIS),
    rows: (clients) => QUESTIONS.registrations_per_year(clients) },
  { key: "top_states", dataset: "clients", spec: () => rows("uf", "UF", "clientes", "Clientes", COLOUR.clientes, COUNT_AXIS),
    rows: (clients) => QUESTIONS.top_states(clients) },
  { key: "convenio_without_sus", dataset: "clients",
    spec: () => rows("convenio", "Convênio", "clientes", "Clientes", COLOUR.clientes, COUNT_AXIS),
    rows: (clients) => QUESTIONS.convenio_without_sus(clients) },
  { key: "salary_by_month", dataset: "salary", spec: salaryLine, rows: salaryByMonth,
    csv: ["mes", "salario_medio", "funcionarios", "salario_total"] },
  { key: "headcount_by_month", dataset: "salary",
    spec: () => columns("mes", "Mês de referência", "funcionarios", "Funcionários", COLOUR.funcionarios, COUNT_AXIS),
    rows: salaryByMonth, csv: ["mes", "funcionarios"] },
  { key: "contracts_by_plan", dataset: "plans",
    spec: () => rows("plano", "Plano", "contratos", "Contratos", COLOUR.contratos, COUNT_AXIS,
      [{ field: "valor_mensal_total", title: "Mensalidades", format: "$,.2f" }]),
    rows: plans },
  { key: "contracts_by_seller", dataset: "sellers",
    spec: () => rows("vendedor", "Vendedor", "contratos", "Contratos assinados", COLOUR.contratos, COUNT_AXIS,
      [{ field: "valor_mensal_total", title: "Mensalidades", format: "$,.2f" }]),
    rows: sellers },
];

// CSV as Brazilian spreadsheets open it: `;` between fields, decimal comma, UTF-8 with a BOM; money
// (the salario_* and valor_* columns) with its two decimals (1148,90).
const isMoney = (column) => /^(salario|valor)_/.test(column);

function csvText(chartRows, columnsShown) {
  const columns = columnsShown ?? (chartRows.length ? Object.keys(chartRows[0]) : []);
  const cell = (value, column) => {
    let text = String(value ?? "");
    if (typeof value === "number") text = (isMoney(column) ? value.toFixed(2) : String(value)).replace(".", ",");
    return /[;"\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [columns.join(";"), ...chartRows.map((row) => columns.map((column) => cell(row[column], column)).join(";"))];
  return "\ufeff" + lines.join("\r\n") + "\r\n";
}

const views = new Map();
const latestRows = new Map();

function figure(key) {
  return document.querySelector(`figure[data-chart="${key}"]`);
}

function showSummary() {
  const months = salaryByMonth();
  const total = months.reduce((sum, row) => sum + row.salario_total, 0);
  const people = months.reduce((sum, row) => sum + row.funcionarios, 0);
  const summary = document.getElementById("salary-summary");
  if (PAGE.datasets.salary.missing) summary.textContent = `Salários: ${PAGE.datasets.salary.missing}.`;
  else if (people) {
    summary.textContent =
      `Salário médio ponderado no período: ${money.format(total / people)} (${integer.format(people)} funcionários-mês).`;
  } else summary.textContent = "Sem salários no período escolhido.";
}

async function draw() {
  const clients = filteredClients();
  await Promise.all(CHARTS.map(async (chart) => {
    const shown = figure(chart.key);
    if (PAGE.datasets[chart.dataset].missing) return;
    const chartRows = chart.rows(clients);
    latestRows.set(chart.key, chartRows);
    shown.dataset.points = String(chartRows.length);
    shown.querySelector(".empty").hidden = chartRows.length > 0;
    const link = shown.querySelector("a.csv");
    link.href = `data:text/csv;charset=utf-8,${encodeURIComponent(csvText(chartRows, chart.csv))}`;
    const view = views.get(chart.key);
    if (view) {
      await view.data("table", chartRows).runAsync();
    } else {
      const spec = chart.spec();
      spec.data = { name: "table", values: chartRows };
      views.set(chart.key, (await vegaEmbed(shown.querySelector(".view"), spec, EMBED_OPTIONS)).view);
    }
  }));
  showSummary();
}

function readFilters(form) {
  let valid = true;
  for (const name of ["from", "to"]) {
    const input = form.elements[name];
    const iso = input.value.trim() ? brToIso(input.value) : null;
    const bad = input.value.trim() !== "" && iso === null;
    input.setAttribute("aria-invalid", String(bad));
    valid &&= !bad;
    if (!bad) filters[name] = iso;
  }
  filters.convenio = form.elements.convenio.value;
  filters.uf = form.elements.uf.value;
  document.getElementById("filter-error").hidden = valid;
}

function fillOptions(select, values) {
  for (const value of [...new Set(values)].sort((a, b) => a.localeCompare(b, "pt-BR"))) {
    select.append(new Option(value, value));
  }
}

function start() {
  const form = document.getElementById("filters");
  const clients = records("clients");
  fillOptions(form.elements.convenio, clients.map((row) => row.convenio));
  fillOptions(form.elements.uf, clients.map((row) => row.uf));
  for (const [field, iso] of Object.entries(PAGE.period)) {
    if (iso) form.elements[field].value = isoToBr(iso);
  }
  readFilters(form);
  form.addEventListener("change", () => {
    readFilters(form);
    window.dashboard.drawn = draw();
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  form.addEventListener("reset", () => setTimeout(() => {
    for (const [field, iso] of Object.entries(PAGE.period)) form.elements[field].value = iso ? isoToBr(iso) : "";
    form.dispatchEvent(new Event("change"));
  }));
  return draw();
}

// For people and tests alike: `await dashboard.drawn` after a change; `dashboard.csv(key)` is the export.
window.dashboard = { csv: (key) => csvText(latestRows.get(key) ?? [], CHARTS.find((chart) => chart.key === key)?.csv) };
window.dashboard.drawn = start();
