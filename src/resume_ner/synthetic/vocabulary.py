"""Hand-written pools of made-up values for the synthetic resume generator (``resume_ner.synthetic``).

Every value here is invented or generic: the companies and colleges are made-up names, the people are random
first/last name combinations and e-mail addresses use reserved example domains. Cities are real places (they
identify no one), so that locations look like the ones in real resumes.

Fixed template text (bullets, summaries, headings, extra sections) must never contain a skill from
``ALL_SKILLS``: the generator labels a skill only where it fills a skill slot, so a skill written into a template
would be an unlabelled mention. ``tests/corpus/test_synthetic.py`` checks this.

``parts`` deals the names, companies, colleges, titles and skills into disjoint training, hold-out and validation
parts, so: a value appears once in the whole vocabulary, ignoring case (styles upper- or lower-case mentions);
a shared skill is in no domain's list; and each pool is large enough that every part of it still holds what one
resume draws (16 companies, 16 skills of a domain with tools and practices among them). Grow a pool with more
invented values rather than shrinking what a resume draws. The tests check all three.

Slots in templates: ``{skill}`` a SKILL (``{tool}`` one not in ``PRACTICES``, ``{practice}`` one in it), ``{title}``
a TITLE, ``{company}`` a COMPANY, ``{years}``/``{Years}`` a YEARS_EXPERIENCE phrase (capitalised when the slot is),
``{num}``, ``{pct}``, ``{team}`` plain numbers.
"""

from __future__ import annotations

from typing import NamedTuple


class City(NamedTuple):
    name: str
    region: str
    region_code: str
    country: str


class Domain(NamedTuple):
    """A family of jobs: the titles someone in it holds, the skills they list and the bullets they write."""

    name: str
    titles: tuple[str, ...]
    skills: tuple[str, ...]
    bullets: tuple[str, ...]


FIRST_NAMES = (
    "Aarav", "Abigail", "Adebayo", "Aisha", "Alejandro", "Amara", "Ananya", "Anders", "Arjun", "Beatriz",
    "Bilal", "Carmen", "Chen", "Chiara", "Daniel", "Deepika", "Dmitri", "Elena", "Emeka", "Farah", "Felix",
    "Grace", "Hannah", "Haruto", "Ibrahim", "Ines", "Isabel", "Jasper", "Kavya", "Kenji", "Laila", "Lucas",
    "Mei", "Meera", "Mateo", "Nadia", "Nikhil", "Noah", "Olivia", "Omar", "Priya", "Rahul", "Rosa", "Samuel",
    "Sanjay", "Sofia", "Tariq", "Thandiwe", "Tomasz", "Vikram", "Yara", "Zoe", "Aditi", "Akira", "Anika", "Bruno",
    "Camila", "Dario", "Divya", "Elif", "Esther", "Fatima", "Gabriel", "Hugo", "Ishaan", "Jonas", "Kiran", "Leona",
    "Malik", "Nora", "Oscar", "Pooja", "Quentin", "Rohan", "Selin", "Tobias", "Uma", "Valentina", "Wei", "Yusuf",
)

LAST_NAMES = (
    "Abernathy", "Acharya", "Adeyemi", "Almeida", "Bakshi", "Barrett", "Bergstrom", "Castellano", "Chandran",
    "Coleridge", "Dasgupta", "Delacroix", "Eriksen", "Fairbanks", "Ferreira", "Gallagher", "Ghoshal",
    "Hargrove", "Hollis", "Iyengar", "Jankowski", "Kapoor", "Kowalczyk", "Lindqvist", "Maddox", "Mahajan",
    "Marchetti", "Nakagawa", "Novak", "Okafor", "Oyelaran", "Pemberton", "Quintero", "Raghunathan",
    "Rasmussen", "Sandoval", "Sethi", "Takahashi", "Thornbury", "Underwood", "Vasquez", "Venkatesh",
    "Whitfield", "Yamamoto", "Zielinski", "Brannigan", "Kulkarni", "Osei", "Andersen", "Banerjee", "Bianchi",
    "Chaudhry", "Costa", "Dimitrov", "Dubois", "Eze", "Fitzgerald", "Gonzaga", "Halvorsen", "Ishikawa", "Jaramillo",
    "Kovacs", "Lindahl", "Mensah", "Moreau", "Nair", "Olsen", "Park", "Petrov", "Reddy", "Rossi", "Schofield",
    "Szabo", "Tanaka", "Trivedi", "Vermeulen", "Wojcik", "Xu", "Zamora", "Lindgren",
)

# Reserved example domains (RFC 2606 and friends), so no generated address can belong to anyone.
EMAIL_DOMAINS = (
    "example.com", "example.net", "example.org", "mail.example.com", "inbox.example.net", "post.example.org",
)

CITIES = (
    City("Austin", "Texas", "TX", "USA"),
    City("Seattle", "Washington", "WA", "USA"),
    City("Denver", "Colorado", "CO", "USA"),
    City("Chicago", "Illinois", "IL", "USA"),
    City("Boston", "Massachusetts", "MA", "USA"),
    City("Atlanta", "Georgia", "GA", "USA"),
    City("San Jose", "California", "CA", "USA"),
    City("Raleigh", "North Carolina", "NC", "USA"),
    City("Portland", "Oregon", "OR", "USA"),
    City("Minneapolis", "Minnesota", "MN", "USA"),
    City("Columbus", "Ohio", "OH", "USA"),
    City("Phoenix", "Arizona", "AZ", "USA"),
    City("Bengaluru", "Karnataka", "KA", "India"),
    City("Pune", "Maharashtra", "MH", "India"),
    City("Hyderabad", "Telangana", "TS", "India"),
    City("Chennai", "Tamil Nadu", "TN", "India"),
    City("Noida", "Uttar Pradesh", "UP", "India"),
    City("Gurugram", "Haryana", "HR", "India"),
    City("Kochi", "Kerala", "KL", "India"),
    City("Ahmedabad", "Gujarat", "GJ", "India"),
    City("Mumbai", "Maharashtra", "MH", "India"),
    City("Kolkata", "West Bengal", "WB", "India"),
    City("London", "England", "ENG", "UK"),
    City("Manchester", "England", "ENG", "UK"),
    City("Edinburgh", "Scotland", "SCT", "UK"),
    City("Bristol", "England", "ENG", "UK"),
    City("Toronto", "Ontario", "ON", "Canada"),
    City("Vancouver", "British Columbia", "BC", "Canada"),
    City("Berlin", "Berlin", "BE", "Germany"),
    City("Munich", "Bavaria", "BY", "Germany"),
    City("Sydney", "New South Wales", "NSW", "Australia"),
    City("Melbourne", "Victoria", "VIC", "Australia"),
    City("Dublin", "Leinster", "L", "Ireland"),
    City("Amsterdam", "North Holland", "NH", "Netherlands"),
)

COMPANIES = (
    "Bluepeak Systems", "Corvid Software", "Lumen Ridge Technologies", "Tessellate Labs", "Ironbark Solutions",
    "Quillon Data", "Harborline Logistics", "Saffron Grid Technologies", "Meridian Softworks", "Pinecrest Health",
    "Vantage Orbit", "Cobalt Fern Consulting", "Brightwater Financial", "Kestrel Infotech", "Altamira Retail",
    "Granite Peak Insurance", "Silverline Infosystems", "Amberleaf Foods", "Zenith Arc Solutions",
    "Redwood Circuit", "Orchard Lane Media", "Nimbus Forge", "Trellis Commerce", "Copperfield Bank",
    "Halcyon Networks", "Stonebridge Consulting Group", "Polaris Micro", "Wavecrest Telecom",
    "Indigo Shore Technologies", "Lattice Point Analytics", "Marigold Healthcare", "Fernhill Energy",
    "Skylark Mobility", "Arrowroot Labs", "Tidewater Systems", "Beacon Hill Software", "Oakmont Manufacturing",
    "Sunspire Pharma", "Quartzline Payments", "Everfield Education", "Crimson Kite Studios", "Hollowell Freight",
    "Mosaic Loop", "Driftwood Digital", "Larkspur Capital", "Northcote Infotech", "Velvet Anchor Games",
    "Ashgrove Consulting", "Aldercrest Analytics", "Blackthorn Robotics", "Bramblewood Insurance",
    "Cinderpath Software", "Clearbrook Finance", "Cloudberry Retail", "Coralbay Logistics", "Dawnridge Technologies",
    "Duskfield Media", "Elmstead Health", "Emberline Systems", "Falconmere Consulting", "Foxglove Biotech",
    "Glasswing Solutions", "Goldcrest Outsourcing", "Greyhaven Security", "Hazelmoor Foods", "Heronsgate Capital",
    "Lanternfly Games", "Lindenbrook Energy", "Moonrise Telecom", "Nettlebrook Pharma", "Oakhaven Bank",
    "Obsidian Reef Technologies", "Palisade Grove Partners", "Peregrine Arc Systems", "Quarry Lane Digital",
    "Ravenstone Infotech", "Riverbend Mobility", "Rookwood Manufacturing", "Saltmarsh Studios", "Sandpiper Payments",
    "Seabright Education", "Shalebrook Consulting", "Sorrelwood Labs", "Starling Vale Networks",
    "Sycamore Bay Software", "Thistledown Health", "Thornvale Freight", "Umberfield Data", "Upland Crest Solutions",
    "Verdant Hollow Retail", "Wicker Lane Media", "Willowmere Financial", "Windrose Aerospace",
    "Yarrowfield Insurance", "Zephyrine Cloud", "Amberfall Infosystems", "Brackenridge Systems", "Driftstone Networks",
    "Elderglen Logistics", "Gullwing Motors",
)

COMPANY_SUFFIXES = ("Inc.", "Pvt. Ltd.", "Pvt Ltd", "LLC", "Ltd", "Ltd.", "GmbH", "Corp.", "Technologies Pvt. Ltd.")

DEGREES_BACHELOR = (
    "B.Tech in Computer Science and Engineering", "B.Tech (Information Technology)",
    "Bachelor of Science in Computer Science", "B.E. in Electronics and Communication", "B.E. Mechanical Engineering",
    "Bachelor of Engineering (Electrical)", "BCA", "Bachelor of Computer Applications", "B.Sc. Mathematics",
    "B.Com", "Bachelor of Commerce", "BBA", "Bachelor of Business Administration", "B.A. Economics",
    "Bachelor of Arts in Psychology", "BS Information Systems", "B.Sc. (Hons) Statistics",
)

DEGREES_MASTER = (
    "M.Tech in Software Engineering", "Master of Computer Applications (MCA)", "MCA", "M.Sc. Data Science",
    "Master of Science in Computer Science", "MS in Information Systems", "MBA", "MBA (Finance)",
    "MBA in Human Resources", "Master of Business Administration", "M.Com", "MS Analytics",
    "M.S. Electrical Engineering", "Ph.D. in Statistics",
)

COLLEGES = (
    "Northgate Institute of Technology", "Lakeview University", "Riverside College of Engineering",
    "St. Aidan's College", "Westbrook State University", "Crestwood University", "Kaveri Institute of Engineering",
    "Marlowe College of Commerce", "Eastfield Polytechnic", "University of Ashford", "Greenvale Institute of Science",
    "Harrington School of Business", "Pinewood University", "Sunderbay College of Technology",
    "Maplehurst University", "Rosewater Institute of Management", "Vidyasagar Engineering College",
    "Thornfield University", "Coastal Plains State University", "Kingsmere College",
    "Silver Oak Institute of Technology",
    "Highland Valley University", "Narmada College of Arts and Science", "Bellmont Technical University",
    "Old Quarry College", "Willowdale University", "Deccan Heights Institute of Technology",
    "Emberton School of Engineering", "Saint Brendan University", "Cedarbrook University",
    "Fallowmere College of Engineering", "Glenhaven Institute of Management", "Hollyfield University",
    "Ironvale Polytechnic", "Juniper Heights College", "Meadowcroft University", "Norbury College of Commerce",
    "Quillfield University", "Redcliff School of Engineering", "Sablewood College", "Tamarind Institute of Technology",
    "Valewood State University", "Wrenfield College of Arts and Science", "Ashcombe Institute of Science",
)

# Skills used by every domain next to the domain's own.
SHARED_SKILLS = (
    "SQL", "Git", "Jira", "Microsoft Excel", "MS Office", "Agile", "Scrum", "project management",
    "problem solving", "stakeholder management", "technical documentation", "Slack", "Microsoft Teams",
    "Google Workspace", "Trello", "time management", "critical thinking", "presentation skills",
    "Microsoft PowerPoint", "Microsoft Word", "teamwork",
)

_TECH_BULLETS = (
    "Designed and built services in {tool} and {tool} handling {num} requests per day.",
    "Migrated a legacy platform to {tool}, cutting release time by {pct}%.",
    "Wrote automated tests for the {tool} services and raised coverage from {pct}% to over 80%.",
    "Worked closely with business owners to turn requirements into features using {tool}.",
    "Reduced infrastructure cost by {pct}% by moving batch jobs to {tool}.",
    "Mentored {team} junior engineers on code reviews and {skill} best practices.",
    "Built internal tooling with {tool} that saved the team about {num} hours a month.",
    "Improved API latency by {pct}% through caching with {tool} and query tuning.",
    "Led the integration of {tool} with {tool} for the payments module.",
    "Troubleshot production incidents, wrote post-mortems and improved on-call runbooks for {tool}.",
    "Set up build pipelines with {tool} so every merge is built, tested and deployed automatically.",
    "Owned the {tool} codebase for the reporting service and refactored it into smaller modules.",
    "Collaborated with a team of {team} to deliver a customer portal on {tool} and {tool}.",
    "Introduced {practice} across {team} squads and documented the conventions.",
    "Applied {practice} and {practice} to reduce defects in the checkout flow by {pct}%.",
    "Gained hands-on experience with {skill} while supporting the platform team.",
)

_BUSINESS_BULLETS = (
    "Prepared monthly reports in {tool} for senior leadership and regional heads.",
    "Coordinated with {team} departments to streamline processes using {skill}.",
    "Handled a portfolio of {num} clients and improved retention by {pct}% through {skill}.",
    "Implemented {skill} for the team, reducing turnaround time by {pct}%.",
    "Trained {team} new joiners on {skill} and internal policies.",
    "Drove {practice} initiatives that contributed to {pct}% year-on-year growth.",
    "Maintained records in {tool} and ensured compliance with audit requirements.",
    "Supported quarterly planning with analysis in {tool}.",
    "Managed vendor relationships and negotiated contracts worth {num} thousand per year.",
    "Recognised as employee of the quarter for {skill} and {skill} work.",
)

DOMAINS = (
    Domain(
        "software",
        ("Software Engineer", "Senior Software Engineer", "Backend Developer", "Full Stack Developer",
         "Java Developer", "Software Developer", "Associate Software Engineer", "Application Developer",
         "Systems Engineer", "Technical Lead", "Staff Software Engineer", "Principal Engineer",
         "Lead Software Engineer", "Junior Software Developer", "Programmer Analyst", "Member of Technical Staff",
         "Senior Backend Engineer"),
        ("Python", "Java", "C++", "C#", ".NET", "ASP.NET Core", "Golang", "JavaScript", "TypeScript", "Node.js",
         "Spring Boot", "Django", "Flask", "REST APIs", "microservices", "PostgreSQL", "MySQL", "MongoDB", "Redis",
         "Kafka", "Hibernate", "GraphQL", "object-oriented design", "unit testing", "Docker", "Kubernetes",
         "Rust", "Scala", "Kotlin", "Ruby on Rails", "PHP", "Laravel", "Elixir", "FastAPI", "Express.js", "gRPC",
         "RabbitMQ", "Elasticsearch", "Cassandra", "DynamoDB", "Oracle Database", "Maven", "Gradle", "JUnit",
         "Apache Camel", "Quarkus", "WebSockets", "OAuth 2.0", "Protocol Buffers", "design patterns",
         "test-driven development", "domain-driven design", "multithreading", "event-driven architecture",
         "system design", "API design", "data structures", "algorithms"),
        _TECH_BULLETS + (
            "Designed public endpoints in {tool} consumed by {num} partner integrations.",
            "Rewrote the order service in {tool}, reducing memory use by {pct}%.",
            "Implemented event-driven workflows with {tool} and {tool}.",
        ),
    ),
    Domain(
        "data",
        ("Data Scientist", "Data Analyst", "Data Engineer", "Machine Learning Engineer",
         "Business Intelligence Analyst", "Analytics Consultant", "Senior Data Scientist", "Research Analyst",
         "Junior Data Analyst", "Analytics Engineer", "Senior Data Engineer", "Lead Data Scientist",
         "Quantitative Analyst", "Decision Scientist", "Applied Scientist", "Data Architect", "Reporting Analyst"),
        ("Python", "R programming", "machine learning", "deep learning", "natural language processing",
         "computer vision", "pandas", "NumPy", "scikit-learn", "TensorFlow", "PyTorch", "Apache Spark",
         "Apache Airflow", "Tableau", "Power BI", "data visualization", "ETL", "Hadoop", "Snowflake",
         "A/B testing", "statistical modeling", "time series forecasting", "SAS", "BigQuery", "Keras", "XGBoost",
         "LightGBM", "SciPy", "Matplotlib", "Seaborn", "Jupyter", "Databricks", "dbt", "Looker", "Qlik Sense",
         "Apache Hive", "Redshift", "Azure Data Factory", "MLflow", "Hugging Face Transformers", "spaCy", "NLTK",
         "OpenCV", "Statsmodels", "Plotly", "SPSS", "Stata", "MATLAB", "PySpark", "Kafka", "PostgreSQL",
         "feature engineering", "regression analysis", "hypothesis testing", "data cleaning", "predictive modeling",
         "clustering", "data mining", "recommender systems", "Bayesian statistics", "data modeling"),
        _TECH_BULLETS + (
            "Applied {practice} with {tool} and improved forecast accuracy by {pct}%.",
            "Built dashboards in {tool} used daily by {num} business users.",
            "Cleaned and joined {num} million records with {tool} and {tool} for the churn study.",
            "Used {practice} to evaluate pricing experiments and presented findings to stakeholders.",
            "Automated weekly {tool} jobs that feed the finance data mart.",
        ),
    ),
    Domain(
        "devops",
        ("DevOps Engineer", "Site Reliability Engineer", "Cloud Engineer", "Systems Administrator",
         "Network Engineer", "Platform Engineer", "Cloud Architect", "Infrastructure Engineer",
         "Senior DevOps Engineer", "Release Engineer", "Build Engineer", "Linux Administrator",
         "Network Administrator", "Security Engineer", "Database Administrator", "Cloud Operations Engineer",
         "IT Support Engineer"),
        ("AWS", "Microsoft Azure", "Google Cloud Platform", "Docker", "Kubernetes", "Terraform", "Ansible",
         "Jenkins", "CI/CD", "Linux", "Bash", "shell scripting", "Prometheus", "Grafana", "Helm", "TCP/IP",
         "VMware", "Nginx", "Python", "GitLab CI", "infrastructure as code", "incident management", "Puppet",
         "Chef", "SaltStack", "Packer", "Vagrant", "Consul", "HashiCorp Vault", "ArgoCD", "GitHub Actions",
         "CircleCI", "Azure DevOps", "CloudFormation", "AWS Lambda", "Amazon EC2", "Amazon S3", "OpenShift",
         "Istio", "ELK Stack", "Splunk", "Datadog", "Nagios", "Zabbix", "PowerShell", "Windows Server",
         "Active Directory", "HAProxy", "Golang", "load balancing", "disaster recovery", "capacity planning",
         "network security", "configuration management", "release management", "log management",
         "cost optimization", "GitOps", "blue-green deployments"),
        _TECH_BULLETS + (
            "Provisioned {num} servers with {tool} and {tool}, removing manual setup.",
            "Kept platform uptime above 99.9% with monitoring and alerting built on {tool}.",
            "Containerised {num} applications and deployed them on {tool}.",
            "Hardened hosts and automated patching with {tool}.",
        ),
    ),
    Domain(
        "frontend",
        ("Frontend Developer", "Web Developer", "UI Developer", "Mobile Developer", "iOS Developer",
         "Android Developer", "UI/UX Designer", "Senior Frontend Engineer", "Front End Engineer", "Web Designer",
         "Product Designer", "Visual Designer", "Junior Web Developer", "Mobile App Developer", "UX Designer",
         "UX Researcher", "Senior Mobile Engineer"),
        ("JavaScript", "TypeScript", "React", "Angular", "Vue.js", "HTML5", "CSS3", "Redux", "Webpack",
         "Swift", "Kotlin", "Flutter", "React Native", "responsive design", "Figma", "jQuery", "Bootstrap",
         "Sass", "web accessibility", "Next.js", "user research", "Svelte", "Nuxt.js", "Gatsby", "Tailwind CSS",
         "Material UI", "Styled Components", "Storybook", "Vite", "Babel", "ESLint", "Jest", "Cypress", "RxJS",
         "NgRx", "Ionic", "Xamarin", "SwiftUI", "Jetpack Compose", "Objective-C", "Dart", "Android SDK", "Xcode",
         "Firebase", "Adobe XD", "Sketch", "InVision", "Adobe Photoshop", "Adobe Illustrator", "GraphQL",
         "Three.js", "D3.js", "wireframing", "prototyping", "cross-browser compatibility", "progressive web apps",
         "interaction design", "design systems", "usability testing", "mobile-first design", "state management",
         "web performance optimization"),
        _TECH_BULLETS + (
            "Built reusable UI components in {tool} used across {num} screens.",
            "Improved page load time by {pct}% by code splitting with {tool}.",
            "Shipped a mobile app built with {tool} to {num} thousand monthly users.",
            "Worked with designers to turn wireframes into pixel-perfect pages with {tool} and {practice}.",
        ),
    ),
    Domain(
        "qa",
        ("QA Engineer", "Test Automation Engineer", "Quality Analyst", "Software Test Engineer",
         "SDET", "QA Lead", "Senior QA Engineer", "QA Analyst", "Manual Tester", "Automation Tester", "Test Engineer",
         "Test Lead", "Performance Test Engineer", "Quality Assurance Specialist", "Test Analyst", "QA Manager",
         "Senior Test Analyst"),
        ("Selenium", "Cypress", "JUnit", "TestNG", "Postman", "JMeter", "test automation", "regression testing",
         "manual testing", "API testing", "Java", "Python", "Cucumber", "performance testing", "SQL Server",
         "defect tracking", "Playwright", "Appium", "Robot Framework", "SoapUI", "LoadRunner", "Gatling", "Locust",
         "k6", "Katalon Studio", "TestRail", "Zephyr", "qTest", "BrowserStack", "Sauce Labs", "Mocha", "Jest",
         "Jasmine", "pytest", "NUnit", "xUnit", "Mockito", "WireMock", "REST Assured", "Karate", "SpecFlow",
         "Behave", "Allure", "Bugzilla", "HP ALM", "Charles Proxy", "Fiddler", "Burp Suite", "JavaScript", "C#",
         "Jenkins", "exploratory testing", "smoke testing", "integration testing", "end-to-end testing",
         "load testing", "security testing", "test planning", "test case design", "user acceptance testing",
         "behaviour-driven development", "mobile testing", "cross-browser testing", "root cause analysis"),
        _TECH_BULLETS + (
            "Automated {num} regression scenarios with {tool} and {tool}.",
            "Wrote and executed test plans; logged and tracked defects to closure.",
            "Cut the release test cycle from two weeks to {team} days through {practice}.",
            "Performed {practice} for the billing module before each release.",
        ),
    ),
    Domain(
        "management",
        ("Project Manager", "Product Manager", "Scrum Master", "Program Manager", "Delivery Manager",
         "Engineering Manager", "Product Owner", "Senior Project Manager", "Technical Program Manager",
         "Project Coordinator", "Agile Coach", "Portfolio Manager", "IT Manager", "Release Manager",
         "Associate Product Manager", "Head of Engineering", "PMO Analyst"),
        ("Kanban", "risk management", "budgeting", "Confluence", "MS Project", "roadmap planning", "team leadership",
         "PRINCE2", "product strategy", "vendor management", "resource planning", "OKRs", "Asana", "Monday.com",
         "Smartsheet", "Miro", "Aha!", "Productboard", "Azure Boards", "Microsoft Planner", "Basecamp", "ClickUp",
         "Wrike", "Primavera P6", "Microsoft Visio", "Lucidchart", "Power BI", "Tableau", "Notion", "Airtable",
         "Targetprocess", "Rally", "Power Automate", "SharePoint", "SAFe", "change management",
         "earned value management", "portfolio management", "release planning", "backlog management",
         "user stories", "dependency management", "capacity planning", "people management", "scope management",
         "go-to-market strategy", "KPI tracking", "program governance", "conflict resolution", "performance reviews",
         "business case development", "requirements prioritization", "Gantt charts", "quality management",
         "procurement", "contract management", "product lifecycle management", "competitive analysis"),
        _BUSINESS_BULLETS + (
            "Managed a team of {team} and delivered {num} releases on schedule.",
            "Ran sprint planning and retrospectives for {team} teams using {skill}.",
            "Owned the roadmap for the mobile product and aligned it with {skill}.",
            "Brought a delayed programme back on track through {skill} and weekly reviews.",
        ),
    ),
    Domain(
        "business",
        ("Business Analyst", "Financial Analyst", "Accountant", "HR Generalist", "Recruiter", "Marketing Manager",
         "Digital Marketing Specialist", "Sales Executive", "Operations Manager", "Customer Support Specialist",
         "Account Manager", "Senior Accountant", "HR Manager", "Talent Acquisition Specialist",
         "Marketing Executive", "Sales Manager", "Operations Analyst", "Business Development Manager"),
        ("financial modeling", "SAP", "Tally ERP", "QuickBooks", "Salesforce", "SEO", "Google Analytics",
         "content marketing", "CRM", "talent acquisition", "payroll processing", "negotiation",
         "customer service", "market research", "lead generation", "accounts payable", "business analysis",
         "requirements gathering", "Power BI", "email marketing", "HubSpot", "Oracle NetSuite", "Xero",
         "Zoho Books", "Workday", "BambooHR", "ADP", "Marketo", "Mailchimp", "Hootsuite", "Google Ads", "SEMrush",
         "Canva", "Zendesk", "Freshdesk", "Microsoft Dynamics 365", "Tableau", "Sage", "Google Sheets", "Greenhouse",
         "Power Query", "accounts receivable", "bookkeeping", "financial reporting", "variance analysis",
         "GST compliance", "tax preparation", "employee relations", "performance management",
         "social media marketing", "brand management", "copywriting", "sales forecasting", "key account management",
         "cold calling", "process improvement", "supply chain management", "inventory management",
         "customer retention", "event management", "pay-per-click advertising"),
        _BUSINESS_BULLETS + (
            "Built {tool} reports that tracked a pipeline of {num} leads.",
            "Gathered requirements from {team} business units and documented them for the delivery team.",
            "Closed the books every month and reconciled {num} accounts using {tool}.",
            "Hired {num} people in a year through {practice} and campus drives.",
        ),
    ),
)

# Skills that are ways of working rather than tools: a ``{tool}`` slot never gets one, a ``{practice}`` slot only
# gets one, so that sentences like "migrated the platform to <skill>" stay plausible.
PRACTICES = (
    "project management", "problem solving", "stakeholder management", "technical documentation", "Agile",
    "Scrum", "Kanban", "microservices", "object-oriented design", "unit testing", "REST APIs", "machine learning",
    "deep learning", "natural language processing", "computer vision", "data visualization", "ETL", "A/B testing",
    "statistical modeling", "time series forecasting", "CI/CD", "shell scripting", "infrastructure as code",
    "incident management", "TCP/IP", "responsive design", "web accessibility", "user research", "test automation",
    "regression testing", "manual testing", "API testing", "performance testing", "defect tracking",
    "risk management", "budgeting", "roadmap planning", "team leadership", "PRINCE2", "product strategy",
    "vendor management", "resource planning", "OKRs", "financial modeling", "SEO", "content marketing", "CRM",
    "talent acquisition", "payroll processing", "negotiation", "customer service", "market research",
    "lead generation", "accounts payable", "business analysis", "requirements gathering", "email marketing",
    "time management", "critical thinking", "presentation skills", "teamwork", "design patterns",
    "test-driven development", "domain-driven design", "multithreading", "event-driven architecture",
    "system design", "API design", "data structures", "algorithms", "feature engineering", "regression analysis",
    "hypothesis testing", "data cleaning", "predictive modeling", "clustering", "data mining",
    "recommender systems", "Bayesian statistics", "data modeling", "load balancing", "disaster recovery",
    "capacity planning", "network security", "configuration management", "release management", "log management",
    "cost optimization", "GitOps", "blue-green deployments", "wireframing", "prototyping",
    "cross-browser compatibility", "progressive web apps", "interaction design", "design systems",
    "usability testing", "mobile-first design", "state management", "web performance optimization",
    "exploratory testing", "smoke testing", "integration testing", "end-to-end testing", "load testing",
    "security testing", "test planning", "test case design", "user acceptance testing",
    "behaviour-driven development", "mobile testing", "cross-browser testing", "root cause analysis", "SAFe",
    "change management", "earned value management", "portfolio management", "release planning",
    "backlog management", "user stories", "dependency management", "people management", "scope management",
    "go-to-market strategy", "KPI tracking", "program governance", "conflict resolution", "performance reviews",
    "business case development", "requirements prioritization", "Gantt charts", "quality management",
    "procurement", "contract management", "product lifecycle management", "competitive analysis",
    "accounts receivable", "bookkeeping", "financial reporting", "variance analysis", "GST compliance",
    "tax preparation", "employee relations", "performance management", "social media marketing",
    "brand management", "copywriting", "sales forecasting", "key account management", "cold calling",
    "process improvement", "supply chain management", "inventory management", "customer retention",
    "event management", "pay-per-click advertising",
)

# Every skill in the vocabulary, in a fixed order (pools repeat some skills across domains).
ALL_SKILLS = tuple(dict.fromkeys(SHARED_SKILLS + tuple(s for d in DOMAINS for s in d.skills)))

# Bullets a domain can use whatever the job: behaviour, not tools.
GENERIC_BULLETS = (
    "Participated in hiring interviews and onboarding of new team members.",
    "Presented monthly progress updates to the leadership team.",
    "Documented processes and kept the team wiki up to date.",
    "Received the spot award twice for delivery under tight deadlines.",
    "Coordinated with offshore and onsite teams across three time zones.",
)

SUMMARY_TEMPLATES = (
    "{title} with {years} of experience in {skill}, {skill} and {skill}.",
    "Results-driven {title} having {years} of experience delivering solutions with {skill} and {skill}.",
    "{Years} of experience as {title}, currently working at {company}. Strong background in {skill} and {skill}.",
    "Experienced {title} ({years}) with a track record in {skill} and {skill}. Comfortable owning work end to end.",
    "{Years} of professional experience. Skilled in {skill}, {skill}, {skill} and {skill}.",
    "Detail-oriented {title} with {years} in the industry, focused on {skill} and {skill}.",
    "Currently working as {title} at {company} with {years} of hands-on experience in {skill}.",
    "I am working as {title} and have {years} of experience. I enjoy working with {skill} and {skill} and learning "
    "new tools.",
)

SUMMARY_EXTRA_SENTENCES = (
    "Known for clear communication and dependable delivery.",
    "Looking for a role with more ownership and a strong engineering culture.",
    "Comfortable working with distributed teams and changing priorities.",
    "Enjoys mentoring and improving how teams work together.",
    "Willing to relocate.",
)

OBJECTIVE_TEMPLATES = (
    "To work in a challenging environment where I can apply my knowledge of {skill} and {skill}.",
    "Seeking a position as {title} where I can grow and contribute with {skill} and {skill}.",
    "To secure a role that makes use of my {skill} skills and offers room to learn.",
)

HEADINGS = {
    "summary": ("Summary", "Professional Summary", "Profile", "About Me", "Career Summary", "Overview",
                "Profile Summary"),
    "objective": ("Objective", "Career Objective"),
    "experience": ("Work Experience", "Experience", "Professional Experience", "Professional History",
                   "Employment History", "Work History", "Career History", "Relevant Experience"),
    "education": ("Education", "Academic Background", "Educational Qualifications", "Academics",
                  "Education & Training", "Qualifications"),
    "skills": ("Skills", "Technical Skills", "Core Competencies", "Key Skills", "Skills & Tools",
               "Areas of Expertise", "Technologies"),
    "projects": ("Projects", "Key Projects", "Selected Projects", "Project Details"),
    "certifications": ("Certifications", "Certificates", "Licenses & Certifications"),
    "languages": ("Languages", "Languages Known"),
    "interests": ("Interests", "Hobbies", "Hobbies & Interests"),
    "links": ("Links", "Online Profiles"),
    "personal": ("Personal Details", "Personal Information"),
    "declaration": ("Declaration",),
}

SKILL_GROUP_LABELS = (
    ("Languages & Frameworks", "Tools & Platforms", "Other"),
    ("Core", "Tools", "Also familiar with"),
    ("Primary", "Secondary", "Working knowledge"),
    ("Technical", "Platforms", "Methods"),
)

PROJECT_NAMES = (
    "Customer Churn Dashboard", "Inventory Sync", "Loan Origination Portal", "Fleet Tracking",
    "Claims Automation", "Patient Scheduling", "Recommendation Engine", "Billing Revamp", "HR Self-Service Portal",
    "Store Locator", "Warehouse Optimisation", "Fraud Alerts", "Campus Placement Tracker", "Energy Usage Insights",
)

PROJECT_TEMPLATES = (
    "Built with {tool} and {tool}; used by {num} internal users.",
    "Role: team member. Tech stack: {tool}, {tool}, {tool}.",
    "Designed the data model and wrote most of the {tool} code.",
    "A {team}-person effort delivered in {num} weeks using {skill}.",
)

CERTIFICATIONS = (
    "Six Sigma Green Belt", "ITIL Foundation", "CISA", "CFA Level I",
    "SHRM Certified Professional", "Google Data Analytics Certificate", "Oracle Certified Professional",
    "Certified Ethical Hacker", "CompTIA Security+", "Certified Financial Planner",
)

SPOKEN_LANGUAGES = ("English", "Hindi", "Spanish", "German", "French", "Tamil", "Marathi", "Mandarin", "Portuguese")

INTERESTS = ("reading", "trekking", "chess", "photography", "cycling", "cooking", "badminton", "volunteering",
             "travel", "painting", "running", "music")

DECLARATION_TEXTS = (
    "I hereby declare that the information furnished above is true to the best of my knowledge.",
    "I hereby declare that all the details mentioned above are correct and complete.",
)
