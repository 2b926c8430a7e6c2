# One image for every jiesu process (bot, actions, dispatch); the compose file picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY jiesu jiesu
COPY bot bot
COPY actions actions
COPY routing routing
COPY dispatch dispatch
RUN pip install --no-cache-dir -c constraints.txt .
COPY domain.yml config.yml ./
COPY nlu_data nlu_data
COPY routing_rules routing_rules
# Models and the gazetteer are built into the image, so containers start without network access.
RUN jiesu build
EXPOSE 8080 8090 5055
CMD ["jiesu", "run", "--no-dispatch", "--host", "0.0.0.0"]
