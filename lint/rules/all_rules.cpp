// The explicit list of every lint rule, in id order. A rule file defines its `Rule` subclass
// and one accessor (`const Rule& qcNNN_rule()`); adding a rule is one line here. An explicit
// list instead of self-registering static objects keeps the library an ordinary static
// library (no `link_whole`) and the rule order independent of static initialization.
#include "lint/rule.h"

namespace qcfg::lint {

const Rule& qc000_rule();
const Rule& qc001_rule();
const Rule& qc002_rule();
const Rule& qc003_rule();
const Rule& qc004_rule();
const Rule& qc005_rule();
const Rule& qc006_rule();
const Rule& qc007_rule();
const Rule& qc008_rule();
const Rule& qc009_rule();
const Rule& qc010_rule();
const Rule& qc011_rule();
const Rule& qc012_rule();
const Rule& qc013_rule();
const Rule& qc014_rule();
const Rule& qc015_rule();
const Rule& qc016_rule();
const Rule& qc017_rule();
const Rule& qc018_rule();
const Rule& qc019_rule();
const Rule& qc020_rule();
const Rule& qc021_rule();
const Rule& qc022_rule();
const Rule& qc023_rule();
const Rule& qc024_rule();
const Rule& qc025_rule();
const Rule& qc026_rule();
const Rule& qc027_rule();
const Rule& qc028_rule();
const Rule& qc029_rule();
const Rule& qc030_rule();

const std::vector<const Rule*>& all_rules() {
  static const std::vector<const Rule*> rules = {
      &qc000_rule(), &qc001_rule(), &qc002_rule(), &qc003_rule(), &qc004_rule(), &qc005_rule(),
      &qc006_rule(), &qc007_rule(), &qc008_rule(), &qc009_rule(), &qc010_rule(), &qc011_rule(),
      &qc012_rule(), &qc013_rule(), &qc014_rule(), &qc015_rule(), &qc016_rule(), &qc017_rule(),
      &qc018_rule(), &qc019_rule(), &qc020_rule(), &qc021_rule(), &qc022_rule(), &qc023_rule(),
      &qc024_rule(), &qc025_rule(), &qc026_rule(), &qc027_rule(), &qc028_rule(), &qc029_rule(),
      &qc030_rule(),
  };
  return rules;
}

}  // namespace qcfg::lint
